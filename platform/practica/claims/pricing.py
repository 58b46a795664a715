"""What a procedure costs on a date of service, for a payer at a location.

Among the fee schedules in effect that day, the most specific one with a fee for the procedure wins:
payer and location, then payer, then location, then practice-wide; among equally specific ones, the
latest to take effect. A procedure no schedule prices costs its default fee."""

import datetime
from collections.abc import Iterable

from django.db.models import Q

from practica.claims.models import FeeScheduleEntry, ProcedureCode
from practica.insurance.models import Payer
from practica.scheduling.models import Location


def unit_fees(
    procedures: Iterable[ProcedureCode],
    *,
    on: datetime.date,
    payer: Payer | None,
    location: Location | None,
) -> dict[int, int]:
    """Fee per unit in cents by procedure id, for every procedure given, in one query."""
    procedures = list(procedures)
    fees = {procedure.pk: procedure.default_fee_cents for procedure in procedures}
    if not procedures:
        return fees
    payer_q = Q(schedule__payer__isnull=True) | (Q(schedule__payer=payer) if payer else Q(pk__in=[]))
    location_q = Q(schedule__location__isnull=True) | (
        Q(schedule__location=location) if location else Q(pk__in=[])
    )
    entries = (
        FeeScheduleEntry.objects.filter(
            procedure__in=procedures,
            schedule__is_active=True,
            schedule__effective_from__lte=on,
        )
        .filter(Q(schedule__effective_to__isnull=True) | Q(schedule__effective_to__gte=on))
        .filter(payer_q)
        .filter(location_q)
        .values_list(
            "procedure_id",
            "fee_cents",
            "schedule__payer_id",
            "schedule__location_id",
            "schedule__effective_from",
        )
    )
    best: dict[int, tuple[int, datetime.date]] = {}
    for procedure_id, fee, payer_id, location_id, effective_from in entries:
        rank = (2 if payer_id else 0) + (1 if location_id else 0), effective_from
        if procedure_id not in best or rank > best[procedure_id]:
            best[procedure_id] = rank
            fees[procedure_id] = fee
    return fees


def unit_fee(
    procedure: ProcedureCode, *, on: datetime.date, payer: Payer | None, location: Location | None
) -> int:
    return unit_fees([procedure], on=on, payer=payer, location=location)[procedure.pk]
