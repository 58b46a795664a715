from django.apps import AppConfig


class StatementsDueConfig(AppConfig):
    """The public-schema side of statements: the small index of practices with statement work
    due (a monthly run, a dunning step, an installment), read by beat's tick like the reminders'."""

    name = "practica.statements.due"
    label = "statements_due"
    verbose_name = "Statement work due"
