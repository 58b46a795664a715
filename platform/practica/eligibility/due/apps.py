from django.apps import AppConfig


class EligibilityDueConfig(AppConfig):
    """The public-schema side of eligibility: the small index of practices whose nightly check of
    the next business day's visits is due, read by beat's tick like the reminders' and statements'."""

    name = "practica.eligibility.due"
    label = "eligibility_due"
    verbose_name = "Eligibility checks due"
