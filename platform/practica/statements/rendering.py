"""Rendering statements' PDFs (in Celery: practica.statements.tasks), with each statement's
pay-by-link made through the pay-link service, and the print batch for paper statements."""

import datetime
import io
import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from pypdf import PdfWriter

from notifications.language import language_for
from notifications.links import practice_link
from notifications.message_notices import has_sms_consent
from notifications.models import Kind
from notifications.notices import plan_statement_notice
from notifications.policy import current_policy
from practica.patient_billing import paylinks
from practica.patient_billing.errors import BillingError
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient, PatientProfile
from practica.statements import lines, pdf, schedule
from practica.statements.models import PatientAccount, Statement, StatementRun
from practica.statements.services import current_settings

log = logging.getLogger(__name__)


def branding() -> pdf.Branding:
    """The practice's name, colour and logo (its portal branding), and its remit-to address."""
    from portal.branding import DEFAULT_COLOUR, HEX_COLOUR, current_branding

    tenant = connection.tenant  # type: ignore[attr-defined]
    settings = current_settings()
    look = current_branding()
    colour = (
        look.primary_colour if look is not None and HEX_COLOUR.match(look.primary_colour) else DEFAULT_COLOUR
    )
    logo = None
    if look is not None and look.logo:
        try:
            with look.logo.open("rb") as handle:
                logo = handle.read()
        except OSError:
            logo = None
    remit = [line.strip() for line in settings.remit_to.splitlines() if line.strip()]
    return pdf.Branding(
        practice_name=tenant.name,
        colour=colour,
        logo=logo,
        return_address=remit[1:] if remit else [],
        remit_to=remit,
        phone=settings.billing_phone,
    )


def address_of(patient: Patient) -> list[str]:
    try:
        profile = patient.profile
    except PatientProfile.DoesNotExist:
        return []
    city = " ".join(
        part
        for part in (f"{profile.city}," if profile.city else "", profile.state, profile.postal_code)
        if part
    )
    return [line for line in (profile.address_line1, profile.address_line2, city) if line]


def has_mail_address(patient: Patient) -> bool:
    return len(address_of(patient)) >= 2


def pay_url_for(statement: Statement) -> str:
    """The statement's pay-by-link, made once through the pay-link service for what is still owed
    (at most the statement's amount); without one (nothing owed now) the portal's balance page."""
    if statement.pay_link_id is None:
        owed = min(statement.amount_due_cents, balance_cents(statement.patient))
        if owed > 0:
            try:
                link, _ = paylinks.create_pay_link(statement.patient, owed, by=None)
            except BillingError:
                link = None
            if link is not None:
                statement.pay_link = link
                Statement.objects.filter(pk=statement.pk).update(pay_link=link)
    if statement.pay_link is not None:
        return practice_link("pay_link", paylinks.token_for(statement.pay_link))
    return practice_link("portal:balance")


def page_for(statement: Statement, language: str) -> pdf.StatementPage:
    patient = statement.patient
    return pdf.StatementPage(
        reference=statement.reference,
        statement_date=statement.statement_date,
        due_date=statement.due_date,
        patient_name=f"{patient.first_name} {patient.last_name}",
        address=address_of(patient),
        previous_balance_cents=statement.previous_balance_cents,
        amount_due_cents=statement.amount_due_cents,
        aging=statement.aging,
        sections=lines.sections(lines.entries_for(statement), schedule.practice_zone()),
        pay_url=pay_url_for(statement),
        language=language,
    )


def render(statement_ids: Iterable[uuid.UUID | str], now: datetime.datetime | None = None) -> int:
    """Render the PDFs of these statements not yet rendered; returns how many were. Each is saved
    (file, then its row) on its own: a worker lost midway leaves the rest for the next try."""
    ids = list(statement_ids)
    look = branding()
    policy = current_policy()
    done = 0
    statements = (
        Statement.objects.filter(pk__in=ids, rendered_at=None)
        .select_related("patient__profile", "pay_link")
        .order_by("patient__last_name", "patient__first_name")
    )
    for statement in statements:
        profile_language = getattr(getattr(statement.patient, "profile", None), "preferred_language", None)
        language = language_for(profile_language, practice_default=policy.default_language)
        content = pdf.statement_pdf(page_for(statement, language), look)
        with transaction.atomic():
            locked = Statement.objects.select_for_update().filter(pk=statement.pk, rendered_at=None).first()
            if locked is None:
                continue  # another worker rendered it meanwhile
            locked.pdf.save(f"{statement.pk}.pdf", ContentFile(content), save=False)
            locked.rendered_at = now or timezone.now()
            locked.save(update_fields=["pdf", "rendered_at"])
            statement.pdf, statement.rendered_at = locked.pdf, locked.rendered_at
            after_render(locked, now)
        done += 1
    runs = Statement.objects.filter(pk__in=ids).values_list("run_id", flat=True).distinct()
    for run_id in list(runs):
        finish_run(run_id, now)
    return done


def after_render(statement: Statement, now: datetime.datetime | None = None) -> None:
    """Once its PDF exists, in the same transaction: paper for a patient who asked for it or has
    no email (the run's print batch), else an email; and a text too with the patient's consent.
    The notices say only that a statement is ready, with the portal's link."""
    account = PatientAccount.objects.filter(patient_id=statement.patient_id).first()
    if account is not None and account.collections_at is not None:
        return
    patient = statement.patient
    paper = (account is not None and account.paper_statements) or not patient.email
    statement.delivery = Statement.Delivery.PAPER if paper else Statement.Delivery.EMAIL
    Statement.objects.filter(pk=statement.pk).update(delivery=statement.delivery)
    sms = bool(patient.phone) and has_sms_consent(patient.pk)
    if not paper or sms:
        plan_statement_notice(statement, Kind.STATEMENT_READY, email=not paper, sms=sms, now=now)


def finish_run(run_id: uuid.UUID, now: datetime.datetime | None = None) -> bool:
    """When every statement of the run is rendered: the print batch (one PDF of the paper
    statements, in name order) and the run marked finished. Only one worker does it."""
    with transaction.atomic():
        run = StatementRun.objects.select_for_update().filter(pk=run_id, finished_at=None).first()
        if run is None or Statement.objects.filter(run=run, rendered_at=None).exists():
            return False
        paper = Statement.objects.filter(run=run, delivery=Statement.Delivery.PAPER).order_by(
            "patient__last_name", "patient__first_name", "pk"
        )
        if paper.exists():
            writer = PdfWriter()
            for statement in paper.iterator(chunk_size=500):
                writer.append(io.BytesIO(pdf_bytes(statement)))
            out = io.BytesIO()
            writer.write(out)
            run.print_batch.save(f"{run.pk}.pdf", ContentFile(out.getvalue()), save=False)
        run.finished_at = now or timezone.now()
        run.save(update_fields=["print_batch", "finished_at"])
    return True


def pdf_bytes(statement: Statement) -> bytes:
    with statement.pdf.open("rb") as handle:
        return handle.read()
