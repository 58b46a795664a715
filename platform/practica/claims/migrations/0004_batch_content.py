from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_control_number_sequences")]

    operations = [
        migrations.AddField(
            model_name="submissionbatch",
            name="content",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="submissionbatch",
            name="sent_to",
            field=models.CharField(blank=True, help_text="Where the clearinghouse adapter put it.", max_length=500),
        ),
    ]
