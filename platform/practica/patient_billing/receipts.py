"""A printed receipt for a payment (PDF with fpdf2): the practice, the patient's name, the amount,
the method and the date, the receipt's number and the balance after it; nothing about the visit."""

from zoneinfo import ZoneInfo

from fpdf import FPDF

from practica.patient_billing.desk import method_label, receipt_number
from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import LedgerEntry
from practica.patient_billing.selectors import balance_cents_at
from tenants.models import Practice


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; anything outside it prints as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def receipt_pdf(practice: Practice, entry: LedgerEntry, zone_name: str) -> bytes:
    if entry.kind != LedgerEntry.Kind.PAYMENT:
        raise BillingError("Only a payment has a receipt.")
    posted = entry.posted_at.astimezone(ZoneInfo(zone_name))
    rows = [
        ("Receipt number", receipt_number(entry)),
        ("Date", f"{posted:%Y-%m-%d %H:%M} ({zone_name})"),
        ("Received from", f"{entry.patient.first_name} {entry.patient.last_name}"),
        ("Amount", _dollars(-entry.amount_cents)),
        ("Method", method_label(entry)),
        ("Balance after this payment", _dollars(balance_cents_at(entry))),
    ]
    if entry.created_by is not None:
        rows.append(("Received by", entry.created_by.full_name or entry.created_by.email))
    pdf = FPDF()
    pdf.set_title(f"Receipt {receipt_number(entry)}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(practice.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, "Payment receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(55, 7, _latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, "Thank you.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
