"""Dates as Taiwanese plans write them: ROC years (民國), and deadlines in words or digits.

Babel has no ROC calendar, so the conversion (year + 1911) lives here, in one place.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from .model import NOTE_PATTERN, Deadline

ROC_OFFSET = 1911

ONGOING = {"隨時辦理", "經常辦理", "持續辦理"}
AS_NEEDED = {"依需要辦理", "視需要辦理"}
RECURRING = {
    "每日辦理": "day",
    "每週辦理": "week",
    "每月辦理": "month",
    "每季辦理": "quarter",
    "每年辦理": "year",
}

DEADLINE_FORMS = (
    "隨時辦理 / 經常辦理 / 持續辦理, 依需要辦理 / 視需要辦理, 每日/每週/每月/每季/每年辦理, "
    "a date (106年12月31日, 106.12.31, 2017-12-31), a month (107年12月), "
    "a range (105.5.1~105.5.31 or 105年5月1日至105年5月31日), "
    "or an editorial note 〔編註：…〕"
)

_YMD = (r"(?:民國)?\s*(\d{2,4})\s*"
        r"(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|[./-]\s*(\d{1,2})\s*[./-]\s*(\d{1,2}))")
_DATE = re.compile(rf"^{_YMD}$")
_MONTH = re.compile(r"^(?:民國)?\s*(\d{2,4})\s*年\s*(\d{1,2})\s*月底?$")
_RANGE_SEPARATOR = re.compile(r"~|～|至|－|–|-")


def gregorian_year(digits: str) -> int | None:
    """A year as written in a plan: ROC unless written with four digits (0999 too); None
    before 民國元年 (1912), which no ROC date can be (民國0年 is 1911, and 0999 was published
    as 2910)."""
    year = int(digits) if len(digits) == 4 else int(digits) + ROC_OFFSET
    return year if year > ROC_OFFSET else None


def parse_date(text: str) -> date | None:
    """Read 106年12月31日, 106.12.31, 106/12/31, 2017-12-31 (ROC years unless 4 digits)."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, m1, d1, m2, d2 = match.groups()
    if (western := gregorian_year(year)) is None:
        return None
    try:
        return date(western, int(m1 or m2), int(d1 or d2))
    except ValueError:
        return None


def parse_deadline(text: str) -> Deadline | None:
    """The structured meaning of a printed deadline, or None when it is not a known form."""
    compact = re.sub(r"\s+", "", text)
    if compact in ONGOING:
        return Deadline(text, "ongoing", None, None, None)
    if compact in AS_NEEDED:
        return Deadline(text, "as-needed", None, None, None)
    if compact in RECURRING:
        return Deadline(text, "recurring", None, None, RECURRING[compact])
    if NOTE_PATTERN.fullmatch(text.strip()):
        return Deadline(text, "unknown", None, None, None)
    if day := parse_date(compact):
        return Deadline(text, "date", day, day, None)
    if match := _MONTH.match(compact):
        year, month = gregorian_year(match[1]), int(match[2])
        if year is not None and 1 <= month <= 12:
            last = calendar.monthrange(year, month)[1]
            return Deadline(text, "month", date(year, month, 1), date(year, month, last), None)
    for sep in _RANGE_SEPARATOR.finditer(compact):  # try each separator: dates hold '-' too
        start, end = parse_date(compact[: sep.start()]), parse_date(compact[sep.end() :])
        if start and end and start <= end:
            return Deadline(text, "range", start, end, None)
    return None


PERIOD_FORMS = "113年1月1日至116年12月31日, 113.1.1~116.12.31, 2024-01-01~2027-12-31 or 113年1月至116年12月"


def parse_period(text: str) -> tuple[date, date] | None:
    """A period as plans print their 執行期程: two dates, or two months (from the first day of
    the one to the last day of the other), joined by ~ 至 or a dash; None if it is not one, or
    ends before it starts."""
    compact = re.sub(r"\s+", "", text)
    for sep in _RANGE_SEPARATOR.finditer(compact):  # try each separator: dates hold '-' too
        first, last = compact[: sep.start()], compact[sep.end() :]
        start = parse_date(first) or _month_bound(first, last_day=False)
        end = parse_date(last) or _month_bound(last, last_day=True)
        if start and end and start <= end:
            return start, end
    return None


def _month_bound(text: str, last_day: bool) -> date | None:
    match = _MONTH.match(text)
    year = gregorian_year(match[1]) if match else None
    if not match or year is None or not 1 <= int(match[2]) <= 12:
        return None
    month = int(match[2])
    return date(year, month, calendar.monthrange(year, month)[1] if last_day else 1)


def roc_date(day: date) -> str:
    """民國 date as Chinese pages print it: 112年5月1日."""
    return f"{day.year - ROC_OFFSET}年{day.month}月{day.day}日"
