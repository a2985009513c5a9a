"""Deadlines as plans print them, read into kinds and Gregorian periods."""

from datetime import date

import pytest

from plansite.dates import parse_date, parse_deadline, parse_period, roc_date


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "every"),
    [
        ("隨時辦理", "ongoing", None, None, None),
        ("經常辦理", "ongoing", None, None, None),
        ("依需要辦理", "as-needed", None, None, None),
        ("每日辦理", "recurring", None, None, "day"),
        ("每月辦理", "recurring", None, None, "month"),
        ("106年12月31日", "date", "2017-12-31", "2017-12-31", None),
        ("106.12.31", "date", "2017-12-31", "2017-12-31", None),
        ("2017-12-31", "date", "2017-12-31", "2017-12-31", None),
        ("107年12月", "month", "2018-12-01", "2018-12-31", None),
        ("113年2月底", "month", "2024-02-01", "2024-02-29", None),
        ("105.5.1~105.5.31", "range", "2016-05-01", "2016-05-31", None),
        ("105. 5. 1~ 105. 5. 31", "range", "2016-05-01", "2016-05-31", None),
        ("105.5.1~ 105.6.13", "range", "2016-05-01", "2016-06-13", None),
        ("105年5月1日至105年5月31日", "range", "2016-05-01", "2016-05-31", None),
        ("2016-05-01-2016-05-31", "range", "2016-05-01", "2016-05-31", None),
        ("〔編註：原文缺漏〕", "unknown", None, None, None),
    ],
)
def test_known_deadline_forms(text, kind, start, end, every) -> None:
    deadline = parse_deadline(text)
    assert deadline is not None
    assert deadline.text == text
    assert deadline.kind == kind
    assert deadline.start == (date.fromisoformat(start) if start else None)
    assert deadline.end == (date.fromisoformat(end) if end else None)
    assert deadline.every == every


@pytest.mark.parametrize("text", ["明年", "106.13.1", "105.5.31~105.5.1", "儘速辦理", "12月", ""])
def test_unknown_deadline_forms_are_rejected(text) -> None:
    assert parse_deadline(text) is None


def test_roc_dates() -> None:
    assert parse_date("112年5月1日") == date(2023, 5, 1)
    assert roc_date(date(2023, 5, 1)) == "112年5月1日"


@pytest.mark.parametrize("text", ["0999-01-01", "0001-01-01", "1911-12-31", "00年1月1日", "1911年12月"])
def test_a_year_of_four_digits_is_western_and_none_is_before_the_republic(text: str) -> None:
    """Four digits are a Western year, a leading zero too (0999 was read as ROC 999, 2910), and
    no date is before 民國元年 (1911-12-31 was shown as 民國0年12月31日)."""
    assert parse_date(text) is None and parse_deadline(text) is None
    assert parse_date("1912-01-01") == date(1912, 1, 1) and parse_date("01年1月1日") == date(1912, 1, 1)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("113年1月1日至116年12月31日", "2024-01-01", "2027-12-31"),
    ("113.1.1~116.12.31", "2024-01-01", "2027-12-31"),
    ("2024-01-01~2027-12-31", "2024-01-01", "2027-12-31"),
    ("2024-01-01-2027-12-31", "2024-01-01", "2027-12-31"),  # a dash between dates that hold dashes
    ("113年1月至116年12月", "2024-01-01", "2027-12-31"),  # months: from the first day to the last
    ("113年2月～113年2月", "2024-02-01", "2024-02-29"),
])
def test_periods_as_plans_print_them(text: str, start: str, end: str) -> None:
    assert parse_period(text) == (date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize("text", ["116.1.1~113.1.1", "113年", "113.1.1", "113年13月至114年1月", "隨時辦理"])
def test_what_is_not_a_period(text: str) -> None:
    assert parse_period(text) is None
