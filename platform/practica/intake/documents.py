"""The PDF a patient downloads of what they signed."""

from fpdf import FPDF

from practica.intake.models import IntakeResponse, IntakeSubmission


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; anything outside it prints as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def signed_consents_pdf(
    submission: IntakeSubmission, signed: list[IntakeResponse], practice_name: str
) -> bytes:
    pdf = FPDF()
    pdf.set_title("Signed consents")
    for response in signed:
        assert response.consent_text is not None and response.signed_at is not None
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(
            0, 8, _latin1(f"{practice_name}: {response.item.label}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(
            0, 6, f"Consent text version {response.consent_text.version}", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _latin1(response.consent_text.body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.multi_cell(
            0, 6, _latin1(f"Signed by typing the name: {response.signed_name}"), new_x="LMARGIN", new_y="NEXT"
        )
        signed_at = response.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        pdf.multi_cell(
            0,
            6,
            f"Signed at: {signed_at} from {response.signed_ip or 'unknown'}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if not signed:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, "Nothing signed yet.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
