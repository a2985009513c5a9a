"""CSV renderer: a plan's actions as one spreadsheet row each (open data).

UTF-8 with a byte-order mark, so spreadsheet programs (Excel included) read the Chinese text
correctly, CRLF line ends, and a header row in the file's own language. No cell can act as a
spreadsheet formula. A pure function of the model.
"""

from __future__ import annotations

import csv
import io

from . import model as m

HEADERS = {
    "zh-Hant-TW": ("計畫", "編號", "項次", "分組", "內容", "完成期限", "期限起", "期限迄", "單位"),
    "en": ("plan", "id", "number", "groups", "text", "deadline", "deadline start", "deadline end", "units"),
}
"""The columns, in each language; docs/format.md and the data page describe them."""


def render_plan_csv(plan: m.Plan) -> str:
    """The plan's actions, one row each, in document order (starts with the BOM)."""
    english = plan.lang == "en"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS["en" if english else "zh-Hant-TW"])
    for groups, action in plan.actions():
        deadline = action.deadline
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
        )])
    return "\ufeff" + out.getvalue()


def cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or carriage
    return) would be taken as a formula, so it gets a leading apostrophe, which spreadsheets
    hide (the OWASP advice against CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
