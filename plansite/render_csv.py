"""CSV renderer: a plan's actions as one spreadsheet row each (open data).

UTF-8 with a byte-order mark, so spreadsheet programs (Excel included) read the Chinese text
correctly, CRLF line ends, and a header row in the file's own language. No cell can act as a
spreadsheet formula, and numbers and dates still read as numbers and dates (docs/format.md,
"The CSV in a spreadsheet", says what Excel and LibreOffice Calc show). A pure function of
the model.
"""

from __future__ import annotations

import csv
import io
import re

from . import model as m
from .site_paths import EN, ZH, language

HEADERS = {
    ZH.code: ("計畫", "編號", "項次", "分組", "內容", "完成期限", "期限起", "期限迄", "單位"),
    EN.code: ("plan", "id", "number", "groups", "text", "deadline", "deadline start", "deadline end",
              "units"),
}
"""The columns, in each language (by its code); docs/format.md and the data page describe them.
A plan's own CSV names the columns its tables print (groups, action, deadline, units) as the
plan does (:func:`header`), and adds its further columns (``fields``) at the end."""

PLAN_COLUMNS = {3: "groups", 4: "action", 5: "deadline", 8: "units"}
"""The columns, by position, that a plan's tables name (TableColumns' attributes)."""


def header(plan: m.Plan) -> list[str]:
    """The plan's CSV header: the generic names where the plan names nothing, its tables' own
    labels for the groups, the action, the deadline and the units (the labels of several tables
    that differ, joined by a slash), then the labels of its further columns. Positions never
    change, so a program may read the columns by position whatever a plan calls them."""
    lang = language(plan.lang)
    names = list(HEADERS[lang.code])
    columns = [table.columns for table in plan.tables()]
    slash = " / " if lang.english else "／"
    for position, attribute in PLAN_COLUMNS.items():
        labels = [label for c in columns
                  for label in (c.groups if attribute == "groups" else (getattr(c, attribute),)) if label]
        if labels:
            names[position] = slash.join(dict.fromkeys(labels))
    return names + further_columns(plan)


def further_columns(plan: m.Plan) -> list[str]:
    return list(dict.fromkeys(label for table in plan.tables() for label in table.columns.fields))


def render_plan_csv(plan: m.Plan) -> str:
    """The plan's actions, one row each, in document order (starts with the BOM)."""
    lang = language(plan.lang)
    english = lang.english
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header(plan)])
    further = further_columns(plan)
    for groups, action in plan.actions():
        deadline = action.deadline
        values = {f.label: f.value for f in action.fields}
        writer.writerow([cell(value) for value in (
            plan.id,
            action.id,
            action.number or "",
            " / ".join(m.numbered(g.number, m.plain_text(g.title)) for g in groups),
            m.blocks_text(action.body),
            deadline.text if deadline else "",
            deadline.start.isoformat() if deadline and deadline.start else "",
            deadline.end.isoformat() if deadline and deadline.end else "",
            ("; " if english else "、").join(action.units),
            *(values.get(label, "") for label in further),
        )])
    return "\ufeff" + out.getvalue()


FORMULA_STARTS = frozenset("=+-@＝＋－＠")
"""First characters that make a spreadsheet read a cell as a formula: Excel takes all four
(OWASP, "CSV Injection"), LibreOffice Calc '='; their full-width forms too, as a precaution,
since East Asian input methods type them."""

PLAIN_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
"""A number a spreadsheet reads as a number, never as a formula: -5, 1,000, 2.5, -12%."""


def cell(text: str) -> str:
    """The cell a spreadsheet shows as the text, never runs: text that would be read as a
    formula (its first character, or first after spaces a spreadsheet may trim, is = + - @), or
    that starts with a tab or line break, gets a leading apostrophe, the OWASP advice against
    CSV injection. Plain numbers such as -5 stay numbers, and a lone - (a dash for "none")
    stays as it is: neither can run anything. Text that itself starts with an apostrophe gets
    one too, so that a reader can always remove exactly one to get the text."""
    if PLAIN_NUMBER.fullmatch(text.strip(" ")) or text.strip(" ") in FORMULA_STARTS:
        return text
    if text[:1] in ("'", "\t", "\r", "\n") or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text
