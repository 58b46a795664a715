"""Appeal letters: the practice's template filled in for one denial, as a PDF (fpdf2)."""

from fpdf import FPDF

from practica.denials.models import AppealTemplate, DenialItem

DEFAULT_TEMPLATE = """{today}

{payer}
Re: appeal of claim {claim_number} (payer claim {payer_claim_number})
Patient: {patient}, born {birth_date}
Date of service: {date_of_service}

To whom it may concern,

We ask you to reconsider your decision on this claim ({codes}: {meanings}), for {amount}.
The enclosed records show the service was given as billed and was medically necessary.

Sincerely,
{practice}"""


PLACEHOLDERS = (
    "today", "payer", "claim_number", "payer_claim_number", "patient", "birth_date",
    "date_of_service", "codes", "meanings", "amount", "practice",
)  # fmt: skip


def check_template(body: str) -> None:
    """Refuses a template that is empty or whose braces do not read as placeholders."""
    from practica.denials.errors import DenialError

    if not body.strip():
        raise DenialError("The letter needs some text.", "empty_template")
    try:
        body.format_map(_Fields(dict.fromkeys(PLACEHOLDERS, "x")))
    except (ValueError, IndexError, AttributeError) as exc:
        raise DenialError(
            f"A placeholder is written wrongly ({exc}); use {{name}}, e.g. {{patient}}."
        ) from exc


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:  # an unknown {placeholder} stays as written
        return "{" + key + "}"


def appeal_pdf(item: DenialItem, *, practice_name: str, today: str, meanings: str) -> bytes:
    template = AppealTemplate.objects.filter(singleton=True).values_list("body", flat=True).first()
    claim, patient = item.claim, item.patient
    text = (template or DEFAULT_TEMPLATE).format_map(
        _Fields(
            today=today,
            payer=item.payer.name,
            claim_number=claim.patient_control_number,
            payer_claim_number=claim.payer_claim_control_number or "not known",
            patient=f"{patient.first_name} {patient.last_name}",
            birth_date=patient.date_of_birth.isoformat() if patient.date_of_birth else "",
            date_of_service=claim.encounter.date_of_service.isoformat(),
            codes=", ".join(item.reason_codes + item.remark_codes),
            meanings=meanings,
            amount=f"${item.amount_cents / 100:,.2f}",
            practice=practice_name,
        )
    )
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    # The core fonts know Latin-1 only: anything else is replaced rather than refused.
    pdf.multi_cell(0, 6, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())
