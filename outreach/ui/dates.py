"""One date format for everything people read: "12 Nov 2026" and "12 Nov 2026 14:02" (STYLE 19).

Pages format dates and times only through these, so that no screen shows its own variant.
Times are shown in the local time zone of this computer.
"""

from __future__ import annotations

import datetime as dt

DATE_FORMAT = "%d %b %Y"
QT_DATE_FORMAT = "dd MMM yyyy"  # the same, for QDateEdit.setDisplayFormat


def format_date(day: dt.date) -> str:
    """`12 Nov 2026` (a datetime is shown as its local date)."""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    return day.strftime(DATE_FORMAT)


def format_datetime(moment: dt.datetime) -> str:
    """`12 Nov 2026 14:02`, in local time when the moment carries a time zone."""
    return _local(moment).strftime(f"{DATE_FORMAT} %H:%M")


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone() if moment.tzinfo is not None else moment
