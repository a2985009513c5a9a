"""Each markup check of Taiwan's 無障礙網頁開發規範 codes (plansite/taiwan.py): a minimal page
breaking the code is flagged with that code alone, and the same page written right passes;
the codes measured on the rendered page likewise, in the real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html

from plansite.taiwan import CODES, markup_codes, rendering_codes

from .conftest import CHROMIUM

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="alternate stylesheet" href="contrast.css" title="High contrast"></head>
<body><main><h1>Plans</h1>{body}</main></body></html>"""

CASES = [  # code, bad body, good body (css for the CSS codes)
    ("HM1110100C", '<img src="a.png">', '<img src="a.png" alt="A chart">'),
    ("HM1110101C", '<map name="m"><area href="a.html"></map>',
     '<map name="m"><area href="a.html" alt="Area"></map>'),
    ("HM1110103C", "<p>Done \u2705</p>", '<p>Done <span aria-label="done">\u2705</span></p>'),
    ("HM1110104C", '<form><input type="image" src="go.png"></form>',
     '<form><input type="image" src="go.png" alt="Search"></form>'),
    ("HM1110105C", '<object data="a.svg"></object>', '<object data="a.svg">A chart</object>'),
    ("HM1110106C", '<img src="a.png" alt="" title="Chart">', '<img src="a.png" alt="">'),
    ("HM1130100C", "<h3>Part</h3>", "<h2>Part</h2>"),
    ("HM1130101C", '<table><caption>T</caption><tr><th>Year</th></tr><tr><td>1</td></tr></table>',
     '<table><caption>T</caption><tr><th scope="col">Year</th></tr><tr><td>1</td></tr></table>'),
    ("HM1130102C", ('<table><caption>T</caption><tr><th scope="col" id="y">Year</th></tr>'
     '<tr><td headers="z">1</td></tr></table>'),
     ('<table><caption>T</caption><tr><th scope="col" id="y">Year</th></tr><tr><td '
     'headers="y">1</td></tr></table>')),
    ("HM1130103C", '<label>Year <select>' + "<option>1</option>" * 11 + "</select></label>",
     '<label>Year <select><optgroup label="A">' + "<option>1</option>" * 11 + "</optgroup></select></label>"),
    ("HM1130104C", '<input type="text">', '<label>Name <input type="text"></label>'),
    ("HM1130105C",
     '<label><input type="radio" name="r"> A</label><label><input type="radio" name="r"> B</label>',
     ('<fieldset><legend>Pick</legend><label><input type="radio" name="r"> A</label>'
     '<label><input type="radio" name="r"> B</label></fieldset>')),
    ("HM1130200C", "<p lang=\"he\">\u05e9\u05dc\u05d5\u05dd</p>",
     "<p lang=\"he\" dir=\"rtl\">\u05e9\u05dc\u05d5\u05dd</p>"),
    ("HM1240102C", "<nav></nav>", '<nav><a href="a.html">Home page</a> and more</nav>'),
    ("HM1240400C",
     '<p>See <a href="a.html"><img src="a.png" alt="Plan"></a><a href="a.html">the plan</a></p>',
     '<p>See <a href="a.html"><img src="a.png" alt=""> the plan</a> here</p>'.replace(
         "<a ", '<a title="The plan" ', 1)),
    ("HM1240401C", '<p>See <a href="a.html"></a> here</p>', '<p>See <a href="a.html">the plan</a> here</p>'),
    ("HM1410200C", "<button></button>", "<button>Search</button>"),
    ("HM1410201C", '<iframe src="a.html"></iframe>', '<iframe src="a.html" title="Map"></iframe>'),
    ("HM2310200C", "<p>The office 稅務局 answers.</p>",
     '<p>The office <span lang="zh-Hant-TW">稅務局</span> answers.</p>'),
    ("HM3240900C", '<ul><li><a href="a.html">A plan</a></li></ul>',
     '<ul><li><a href="a.html" title="A plan">A plan</a></li></ul>'),
    ("HM3241000C", "<section><p>Text</p></section>", "<section><h2>Part</h2><p>Text</p></section>"),
    ("ME1320200C", '<p>Get <a href="plan.docx">the plan</a> now</p>',
     '<p>Get <a href="plan.odt">the plan</a> now</p>'),
    ("CS2140401C", "p { font-size: 14px }", "p { font-size: 0.875rem }"),
    ("CS3140801C", "td { width: 300px }", "td { width: 30% }"),
]


def codes_of(body: str, css: str = "", title: str = "Plans", head_extra: bool = True) -> list[str]:
    page = PAGE.format(title=title, body=body)
    if not head_extra:
        page = page.replace('<link rel="alternate stylesheet" href="contrast.css" title="High contrast">', "")
    doc = html.document_fromstring(page)
    return [code for code, _, _ in markup_codes(doc, [("<style>", css)] if css else [])]


@pytest.mark.parametrize("code, bad, good", CASES, ids=[c[0] for c in CASES])
def test_a_page_breaking_a_code_is_flagged_and_the_page_written_right_passes(code: str, bad: str,
                                                                             good: str) -> None:
    if code.startswith("CS"):
        assert set(codes_of("<p>Text</p>", css=bad)) == {code}
        assert codes_of("<p>Text</p>", css=good) == []
    else:
        assert set(codes_of(bad)) == {code}, codes_of(bad)
        assert codes_of(good) == []


def test_page_wide_codes() -> None:
    assert codes_of("<p>Text</p>") == []
    assert codes_of("<p>Text</p>", title=" ") == ["HM1240200C"]
    assert codes_of("<p>Text</p>", head_extra=False) == ["CS3140800C"]
    doc = html.document_fromstring(PAGE.format(title="Plans", body="<p>Text</p>").replace(' lang="en"', ""))
    assert [code for code, _, _ in markup_codes(doc, [])] == ["HM1310100C"]


def test_every_code_the_markup_shows_has_a_case_here() -> None:
    rendering = {"CS3140802C"}  # measured in the browser only: see below
    page_wide = {"HM1240200C", "CS3140800C", "HM1310100C"}
    assert {c for c, _, _ in CASES} | rendering | page_wide == set(CODES)


TEXT = "服務品質的提升需要每一個單位持續努力，並依民眾的意見隨時調整做法。" * 6
GOOD_CSS = "main { max-width: 40em } p { line-height: 1.6; margin: 0 0 1.6em }"
RENDERED = {  # page → its stylesheet and the codes measured on it
    "good.html": (GOOD_CSS, set()),
    "tight.html": (GOOD_CSS.replace("1.6;", "1.2;"), {"CS3140802C"}),
    "justified.html": (GOOD_CSS.replace("1.6em", "1.6em; text-align: justify"), {"CS3140802C"}),
    "packed.html": (GOOD_CSS.replace("0 0 1.6em", "0"), {"CS3140802C"}),
    "wide.html": (GOOD_CSS.replace("40em", "70em"), {"CS3140801C"}),
}


def test_the_rendered_codes_flag_bad_spacing_justification_and_long_lines(tmp_path: Path) -> None:
    for name, (css, _) in RENDERED.items():
        (tmp_path / name).write_text(
            f'<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>T</title>'
            f"<style>body {{ font-size: 16px }} {css}</style></head><body><main><p>{TEXT}</p><p>{TEXT}</p>"
            "</main></body></html>", encoding="utf-8")
    found: dict[str, set[str]] = {name: set() for name in RENDERED}
    for page, code, _, _ in rendering_codes(tmp_path.as_uri() + "/", list(RENDERED), CHROMIUM):
        found[page].add(code)
    assert found == {name: codes for name, (_, codes) in RENDERED.items()}
