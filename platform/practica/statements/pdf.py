"""The statement PDF (fpdf2), US Letter, laid out for a #10 double-window envelope: the practice's
return address shows through the top window, the patient's address block through the main one,
and the tear-off stub at the bottom carries the remit-to address for the patient's reply envelope.

The QR code (qrcode, already pinned for authenticator set-up) is drawn as vector squares from its
module matrix: sharp at any print resolution, and no image to encode per statement."""

import datetime
import io
import logging
from dataclasses import dataclass, field

import qrcode
import qrcode.constants
from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from practica.core.templatetags.practica import dollars
from practica.statements.lines import Section

log = logging.getLogger(__name__)

MARGIN = 15.0
PAGE_WIDTH = 215.9  # US Letter, mm
# The #10 window envelope's main window, as the patient's address block must sit on the page.
ADDRESS_X, ADDRESS_Y, ADDRESS_W = 25.0, 50.0, 90.0
STUB_Y = 200.0  # the tear-off remittance stub starts here (the bottom third of the page)


def latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; anything outside it prints as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Branding:
    practice_name: str
    colour: str = "#1f5f8b"
    logo: bytes | None = None
    return_address: list[str] = field(default_factory=list)
    remit_to: list[str] = field(default_factory=list)
    phone: str = ""


@dataclass(frozen=True)
class StatementPage:
    """Everything printed on one statement, already read (a renderer does no queries)."""

    reference: str
    statement_date: datetime.date
    due_date: datetime.date
    patient_name: str
    address: list[str]
    previous_balance_cents: int
    amount_due_cents: int
    aging: list[tuple[str, int]]
    sections: list[Section]
    pay_url: str
    language: str = "en"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "N j, Y")


def draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` as filled squares, each row's dark runs merged into one rectangle."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            pdf.rect(x + start * module, y + row * module, (column - start) * module, module, style="F")


def add_statement(pdf: FPDF, page: StatementPage, branding: Branding) -> None:
    """One statement's page(s) in `pdf` (the print batch adds many to one document)."""
    with translation.override(page.language):
        _add_statement(pdf, page, branding)


def _add_statement(pdf: FPDF, page: StatementPage, branding: Branding) -> None:
    pdf.add_page()
    colour = _rgb(branding.colour)
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, PAGE_WIDTH, 4, style="F")
    top = 10.0
    if branding.logo:
        try:
            pdf.image(io.BytesIO(branding.logo), x=MARGIN, y=top, h=12)
            top += 13
        except Exception:
            # A logo fpdf cannot read is left out, not the statement.
            log.warning("The practice's logo could not be drawn on a statement.")
    pdf.set_xy(MARGIN, top)
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_text_color(*colour)
    pdf.cell(100, 6, latin1(branding.practice_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", size=9)
    for line in branding.return_address:
        pdf.cell(100, 4.2, latin1(line), new_x="LMARGIN", new_y="NEXT")

    # The summary box, top right.
    pdf.set_xy(125, 12)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(75, 8, latin1(_("Statement")), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for label, value in (
        (_("Statement date"), _day(page.statement_date)),
        (_("Reference"), page.reference),
        (_("Amount due"), dollars(page.amount_due_cents)),
        (_("Please pay by"), _day(page.due_date)),
    ):
        pdf.set_x(125)
        pdf.cell(40, 5, latin1(label))
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(35, 5, latin1(value), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)

    # The patient's address, where the envelope's window shows it.
    pdf.set_xy(ADDRESS_X, ADDRESS_Y)
    pdf.set_font("Helvetica", size=10)
    for line in [page.patient_name, *page.address][:5]:
        pdf.set_x(ADDRESS_X)
        pdf.cell(ADDRESS_W, 4.8, latin1(line), new_x="LMARGIN", new_y="NEXT")

    # Pay online, with the QR code, beside the address.
    draw_qr(pdf, page.pay_url, 170, 48, 28)
    pdf.set_xy(125, 50)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(42, 5, latin1(_("Pay online")), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", size=7.5)
    pdf.multi_cell(42, 3.4, latin1(_("Scan the code or open this link:")), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*colour)
    pdf.multi_cell(42, 3.4, latin1(page.pay_url), link=page.pay_url, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)

    # Account activity since the last statement, by visit.
    pdf.set_xy(MARGIN, 85)
    _activity(pdf, page)
    _aging(pdf, page)
    _stub(pdf, page, branding)


def _row(pdf: FPDF, day: str, label: str, amount: str, *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    pdf.cell(30, 5, latin1(day))
    pdf.cell(120, 5, latin1(label))
    pdf.cell(35, 5, latin1(amount), align="R", new_x="LMARGIN", new_y="NEXT")


def _activity(pdf: FPDF, page: StatementPage) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(185, 6, latin1(_("Account activity since your last statement")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(160, 160, 160)
    pdf.line(MARGIN, pdf.get_y(), PAGE_WIDTH - MARGIN, pdf.get_y())
    _row(pdf, "", _("Previous balance"), dollars(page.previous_balance_cents))
    for section in page.sections:
        if pdf.get_y() > STUB_Y - 40:
            # Long histories continue on a page of their own; the stub stays on the first page's foot.
            pdf.add_page()
            pdf.set_y(MARGIN)
        pdf.ln(1)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(185, 5, latin1(section.title), new_x="LMARGIN", new_y="NEXT")
        for line in section.lines:
            _row(pdf, _day(line.day), line.label, dollars(line.amount_cents))
    pdf.line(MARGIN, pdf.get_y() + 1, PAGE_WIDTH - MARGIN, pdf.get_y() + 1)
    pdf.ln(2)
    _row(pdf, "", _("Amount due"), dollars(page.amount_due_cents), bold=True)


def _aging(pdf: FPDF, page: StatementPage) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    width = 185 / len(page.aging)
    for label, _cents in page.aging:
        pdf.cell(width, 5, latin1(_(label)), border=1, align="C")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for _label, cents in page.aging:
        pdf.cell(width, 5, latin1(dollars(cents)), border=1, align="C")
    pdf.ln()


def _stub(pdf: FPDF, page: StatementPage, branding: Branding) -> None:
    """The tear-off part the patient mails back with a check, on the first page."""
    pdf.page = 1
    pdf.set_draw_color(120, 120, 120)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.line(0, STUB_Y, PAGE_WIDTH, STUB_Y)
    pdf.set_dash_pattern()
    pdf.set_xy(MARGIN, STUB_Y + 2)
    pdf.set_font("Helvetica", size=7.5)
    pdf.cell(
        185,
        4,
        latin1(_("Please detach and return this part with your payment.")),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=9)
    y = STUB_Y + 10
    for label, value in (
        (_("Patient"), page.patient_name),
        (_("Reference"), page.reference),
        (_("Amount due"), dollars(page.amount_due_cents)),
        (_("Please pay by"), _day(page.due_date)),
        (_("Amount enclosed"), "$ ______________"),
    ):
        pdf.set_xy(120, y)
        pdf.cell(35, 5, latin1(label))
        pdf.cell(45, 5, latin1(value), align="R")
        y += 6
    pdf.set_xy(ADDRESS_X, STUB_Y + 32)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(ADDRESS_W, 4.8, latin1(_("Make checks payable to and mail to:")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in (branding.remit_to or [branding.practice_name, *branding.return_address])[:5]:
        pdf.set_x(ADDRESS_X)
        pdf.cell(ADDRESS_W, 4.8, latin1(line), new_x="LMARGIN", new_y="NEXT")
    if branding.phone:
        pdf.set_xy(120, STUB_Y + 45)
        pdf.set_font("Helvetica", size=8)
        pdf.cell(80, 4, latin1(_("Questions about your bill: %(phone)s") % {"phone": branding.phone}))
    pdf.page = len(pdf.pages)


def new_document(title: str) -> FPDF:
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(latin1(title))
    pdf.set_creator("Practica")
    return pdf


def statement_pdf(page: StatementPage, branding: Branding) -> bytes:
    pdf = new_document(f"Statement {page.reference}")
    add_statement(pdf, page, branding)
    return bytes(pdf.output())
