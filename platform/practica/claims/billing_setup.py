"""Writes of a practice's billing setup: its billing profile, its procedure list (one at a time or
imported from CSV), its fee schedules and their fees. Payers are saved by
practica.insurance.services.save_payer. Each row is validated by its model's own rules
(full_clean) before it is saved, so a form, a CSV row and the API refuse the same things."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from practica.claims.errors import ClaimsError
from practica.claims.models import BillingProfile, FeeSchedule, FeeScheduleEntry, ProcedureCode

CSV_COLUMNS = ("code", "kind", "label", "default_fee")
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 1_000_000


def save_billing_profile(profile: BillingProfile) -> BillingProfile:
    profile.singleton = True
    profile.full_clean()
    profile.save()
    return profile


def save_procedure(procedure: ProcedureCode) -> ProcedureCode:
    procedure.code = procedure.code.strip().upper()
    procedure.full_clean()
    procedure.save()
    return procedure


def save_fee_schedule(schedule: FeeSchedule, fees: dict[ProcedureCode, int | None]) -> FeeSchedule:
    """The schedule and its fees: a procedure given a fee gets that fee (per unit, in cents), one
    given None has none in this schedule (its default fee applies)."""
    if any(cents is not None and cents < 0 for cents in fees.values()):
        raise ClaimsError("A fee cannot be negative.")
    schedule.full_clean()
    with transaction.atomic():
        schedule.save()
        current = {entry.procedure_id: entry for entry in schedule.entries.all()}
        for procedure, cents in fees.items():
            entry = current.get(procedure.pk)
            if cents is None:
                if entry is not None:
                    entry.delete()
            elif entry is None:
                FeeScheduleEntry.objects.create(schedule=schedule, procedure=procedure, fee_cents=cents)
            elif entry.fee_cents != cents:
                entry.fee_cents = cents
                entry.save(update_fields=["fee_cents"])
    return schedule


def dollars_to_cents(text: str) -> int:
    """'125', '125.5' or '$1,250.00' as cents; raises ValueError for anything else."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(f"“{text}” is not an amount.") from error
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > Decimal("1000000"):
        raise ValueError(f"“{text}” is not an amount in dollars and cents.")
    return int(amount * 100)


@dataclass
class ImportRow:
    line: int
    code: str
    action: str = ""  # "add" or "update"
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do), row by row; nothing is written when any
    row has an error."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the file itself
    dry_run: bool = True
    saved: bool = False

    @property
    def failed(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


def _kind(text: str) -> str:
    value = text.strip().lower() or ProcedureCode.Kind.CPT
    if value in ("hcpcs level ii", "hcpcs ii"):
        value = ProcedureCode.Kind.HCPCS
    if value not in ProcedureCode.Kind.values:
        raise ValueError(f"Kind must be CPT or HCPCS, not “{text.strip()}”.")
    return value


def import_procedures(data: bytes, *, dry_run: bool) -> ImportReport:
    """The practice's procedure list from a CSV file with a header row code,kind,label,default_fee
    (kind CPT or HCPCS, empty: CPT; the fee in dollars). A code already on the list is updated, a
    new one added. Every row is checked first; a file with any bad row changes nothing and the
    report names each bad row by its line. A dry run checks and writes nothing."""
    report = ImportReport(dry_run=dry_run)
    if len(data) > MAX_IMPORT_BYTES:
        report.errors.append("The file is larger than 1 MB.")
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append("The file is not UTF-8 text (save it as CSV UTF-8).")
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("code", "label") if name not in header]
    if missing:
        report.errors.append(
            f"The first line must name the columns {', '.join(CSV_COLUMNS)} (missing: {', '.join(missing)})."
        )
        return report
    existing = {p.code: p for p in ProcedureCode.objects.all()}
    seen: dict[str, int] = {}
    to_save: list[ProcedureCode] = []
    try:
        for raw in reader:
            if len(report.rows) >= MAX_IMPORT_ROWS:
                report.errors.append(f"At most {MAX_IMPORT_ROWS} rows per file.")
                return report
            values = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if k is not None}
            if None in raw:
                values["__extra__"] = "x"
            code = values.get("code", "").strip().upper()
            row = ImportRow(line=reader.line_num, code=code)
            report.rows.append(row)
            if not any(v.strip() for v in values.values()):
                row.errors.append("The row is empty.")
                continue
            if "__extra__" in values:
                row.errors.append("The row has more columns than the header.")
            if code in seen:
                row.errors.append(f"{code} is also on line {seen[code]}.")
            seen.setdefault(code, row.line)
            procedure = existing.get(code) or ProcedureCode(code=code)
            row.action = "update" if procedure.pk else "add"
            procedure.label = values.get("label", "").strip()
            try:
                procedure.kind = _kind(values.get("kind", ""))
            except ValueError as error:
                row.errors.append(str(error))
            fee = values.get("default_fee", "").strip()
            try:
                procedure.default_fee_cents = dollars_to_cents(fee) if fee else procedure.default_fee_cents
            except ValueError as error:
                row.errors.append(f"Default fee: {error}")
            try:
                procedure.full_clean(validate_unique=False)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    row.errors += [f"{name.replace('_', ' ').capitalize()}: {m}" for m in messages]
            to_save.append(procedure)
    except csv.Error as error:
        report.errors.append(f"Line {reader.line_num}: {error}.")
        return report
    if not report.rows:
        report.errors.append("The file has no rows under its header.")
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        for procedure in to_save:
            procedure.save()  # one save each: every row is audited
    report.saved = True
    return report
