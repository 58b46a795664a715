"""Half-open UTC time intervals [start, end) and the little algebra slot search needs."""

import datetime
from collections.abc import Iterable

Interval = tuple[datetime.datetime, datetime.datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by any hole."""
    result: list[Interval] = []
    sorted_holes = merge(holes)
    for start, end in merge(intervals):
        cursor = start
        for hole_start, hole_end in sorted_holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]
