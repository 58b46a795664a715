"""Aging a balance: payments and credits settle the oldest charges first; what is left of each
charge is aged by the days from its posting to the statement's date."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Aging:
    current: int = 0  # 0-30 days
    days_31_60: int = 0
    days_61_90: int = 0
    over_90: int = 0

    @property
    def total(self) -> int:
        return self.current + self.days_31_60 + self.days_61_90 + self.over_90


def age(entries: Iterable[tuple[datetime.date, int]], as_of: datetime.date) -> Aging:
    """`entries`: (day posted, signed cents) in posting order. Credits (negative) go to the oldest
    debits first, then later debits; a credit left over makes every bucket zero."""
    debits: list[tuple[datetime.date, int]] = []
    credit = 0
    for day, cents in entries:
        if cents > 0:
            debits.append((day, cents))
        else:
            credit -= cents
    buckets = [0, 0, 0, 0]
    for day, cents in debits:
        settled = min(credit, cents)
        credit -= settled
        left = cents - settled
        if not left:
            continue
        days = (as_of - day).days
        buckets[0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3] += left
    return Aging(*buckets)
