from django.db import migrations

PLANS = [
    ("solo", "Solo", "One provider, everything included.", 4900, 49000, 1),
    ("group", "Group", "Practices with several providers and locations.", 3900, 39000, 2),
    (
        "enterprise",
        "Enterprise",
        "Multi-location groups with billing-company access.",
        2900,
        29000,
        3,
    ),
]


def add_plans(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    Plan = apps.get_model("tenants", "Plan")
    for code, name, description, monthly, yearly, order in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "monthly_price_per_seat_cents": monthly,
                "yearly_price_per_seat_cents": yearly,
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(add_plans, migrations.RunPython.noop)]
