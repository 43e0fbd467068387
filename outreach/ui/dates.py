"""One date format for everything people read: "12 Nov 2026" and "12 Nov 2026 14:02" (STYLE 19).

Pages and widgets format dates and times only through these (the date field's `show_date` is
`format_date`), so that no screen shows its own variant. Month names are English whatever the
locale (strftime's %b follows it). Zoned moments (a UTC last-sync time) are shown in the local
time of this computer.
"""

from __future__ import annotations

import datetime as dt

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
QT_DATE_FORMAT = "dd MMM yyyy"  # the same, for a QDateEdit's display


def format_date(day: dt.date) -> str:
    """`12 Nov 2026` (a datetime is shown as its local date)."""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def format_datetime(moment: dt.datetime) -> str:
    """`12 Nov 2026 14:02`, in local time when the moment carries a time zone."""
    local = _local(moment)
    return f"{format_date(local.date())} {local:%H:%M}"


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone() if moment.tzinfo is not None else moment


def month_span(day: dt.date, months_back: int = 0) -> tuple[dt.date, dt.date]:
    """First and last day of the month `months_back` before `day`'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    start = dt.date(year, month + 1, 1)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)
