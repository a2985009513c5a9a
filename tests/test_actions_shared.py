"""Fields shared by a run of actions (docs/format.md, "Fields shared by several actions"): the
documented example reads into each action's own values plus the merged cells, the English
edition must share alike, and every output shows one merged cell (the web page's phone cards
show the value on each card)."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree, html

from plansite import model as m
from plansite.actions import next_number
from plansite.content import read_plan_file
from plansite.errors import ContentError
from plansite.site import build
from plansite.sources import load

from .conftest import PROJECT, copy_project

ODF = "urn:oasis:names:tc:opendocument:xmlns:"
TABLE = f"{{{ODF}table:1.0}}"
SCHEMAS = Path(__file__).parent / "schemas" / "odf-1.2"
PLAN = "example-shelter-2024"


def example() -> str:
    """The complete example of the section, as the documentation shows it."""
    doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc.split("### Fields shared by several actions", 1)[1]
    return re.search(r"^```markdown\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]


ENGLISH = """---
id: example-shelter-2024
lang: en
title: Example City Animal Protection Office 2024 Service Quality Improvement Plan
tables:
  main:
    groups: [Implementation item]
    action: Methods
    deadline: Deadline
    units: Responsible units
---

# I. Strategies and methods

::: actions main

## 1. Strengthen shelter management

- 1. Review the shelter's space regularly.
- 2. Give sheltered animals health checks.
  Responsible units: Veterinary Section
- 3. Publish adoption information.

Responsible units: Animal Protection Section

## 2. Promote adoption

- 1. Hold adoption events.
  Responsible units: Animal Protection Section

:::
"""


def cells(action: m.Action) -> dict[str, int]:
    return {cell.column: cell.rows for cell in action.shared}


def test_the_documented_example_gives_each_action_its_values_and_records_the_merged_cells(
        tmp_path: Path) -> None:
    path = tmp_path / f"{PLAN}.zh-Hant.md"
    path.write_text(example(), encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == []
    actions = [a for _, a in plan.actions()]
    assert [a.deadline.text for a in actions] == ["113年12月"] * 3 + ["每季辦理"]
    assert [a.units for a in actions] == [("動物保護科",), ("獸醫科",), ("動物保護科",), ("動物保護科",)]
    # one deadline cell over the three rows; action 2's own unit splits the shared unit in two cells
    assert [cells(a) for a in actions] == [{"完成期限": 3, "承辦單位": 1}, {"完成期限": 0},
                                           {"完成期限": 0, "承辦單位": 1}, {}]
    assert [a.rows("完成期限") for a in actions] == [3, 0, 0, 1]


@pytest.mark.parametrize(("number", "following"), [("1.", "2."), ("9、", "10、"), ("(1)", "(2)"),
                                                   ("（一）", "（二）"), ("一、", "二、"), ("1.1", "1.2")])
def test_the_number_after_a_printed_number(number: str, following: str) -> None:
    assert next_number(number) == following


def test_a_run_after_a_group_description_or_a_shared_paragraph_starts_there(tmp_path: Path) -> None:
    text = example().replace("## 二、推廣認養\n", "## 二、推廣認養\n\n本項說明。\n").replace(
        "  完成期限：每季辦理\n  承辦單位：動物保護科\n",
        "- 2. 製作認養手冊。\n\n完成期限：每季辦理\n承辦單位：動物保護科\n\n- 3. 其他。\n\n"
        "完成期限：隨時辦理\n承辦單位：秘書室\n")
    path = tmp_path / f"{PLAN}.zh-Hant.md"
    path.write_text(text, encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == []
    second = [a for groups, a in plan.actions() if groups[0].number == "二、"]
    assert [(a.deadline.text, a.units) for a in second] == [
        ("每季辦理", ("動物保護科",)), ("每季辦理", ("動物保護科",)), ("隨時辦理", ("秘書室",))]
    assert [cells(a) for a in second] == [{"完成期限": 2, "承辦單位": 2}, {"完成期限": 0, "承辦單位": 0},
                                          {"完成期限": 1, "承辦單位": 1}]


def project_with(tmp_path: Path, english: str | None = ENGLISH) -> Path:
    project = copy_project(tmp_path / "project", plans=[])
    plans = project / "content" / "plans"
    (plans / f"{PLAN}.zh-Hant.md").write_text(example(), encoding="utf-8")
    if english is not None:
        (plans / f"{PLAN}.en.md").write_text(english, encoding="utf-8")
    return project


def test_the_english_shares_alike_and_takes_the_chinese_deadline_cells(tmp_path: Path) -> None:
    (edition,) = load(project_with(tmp_path)).editions
    actions = [a for _, a in edition.en.actions()]
    assert [a.deadline.text for a in actions] == ["By December 2024"] * 3 + ["Quarterly"]
    assert [cells(a) for a in actions] == [{"Deadline": 3, "Responsible units": 1}, {"Deadline": 0},
                                           {"Deadline": 0, "Responsible units": 1}, {}]


def test_english_that_shares_otherwise_than_the_chinese_is_an_error_at_its_line(tmp_path: Path) -> None:
    """The Chinese shares 動物保護科 between actions 1 and 3; the English repeats it under each."""
    own = "\n  Responsible units: Animal Protection Section\n"
    english = (ENGLISH.replace("- 1. Review the shelter's space regularly.\n",
                               "- 1. Review the shelter's space regularly." + own)
               .replace("- 3. Publish adoption information.\n", "- 3. Publish adoption information." + own)
               .replace("\nResponsible units: Animal Protection Section\n", ""))
    with pytest.raises(ContentError) as caught:
        load(project_with(tmp_path, english))
    first = english.splitlines().index("- 1. Review the shelter's space regularly.") + 1
    chinese = example().splitlines().index("- 1. 定期檢視收容空間。") + 1
    assert [str(p) for p in caught.value.problems] == [(
        f"content/plans/{PLAN}.en.md:{first}: the action 'main-1-a1' gives its own 'Responsible units' here, "
        f"but in Chinese it takes the shared '承辦單位' (content/plans/{PLAN}.zh-Hant.md:{chinese}) — "
        "write the shared fields after the same run of actions as the Chinese plan (not indented, after an "
        "empty line), and give each action's own fields where it does")]


# ---------------------------------------------------------------- the outputs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The documented example with its English edition, built with its downloads."""
    project = project_with(tmp_path_factory.mktemp("shared"))
    build(project, project / "site")
    return project / "site"


def web_rows(site: Path, english: bool = False) -> list:
    page = html.fromstring((site / ("en" if english else "") / "plans" / PLAN / "index.html").read_bytes())
    return page.find_class("ps-action-table")[0].findall("tbody/tr")


def test_the_web_page_shows_one_cell_spanning_the_rows_and_a_copy_for_each_card(built: Path) -> None:
    for english, deadline in ((False, "113年12月"), (True, "By December 2024")):
        rows = web_rows(built, english)
        assert len(rows) == 3
        spanning = [[(td.get("rowspan"), td.text_content().strip()) for td in row.findall("td[@rowspan]")]
                    for row in rows]
        assert spanning == [[("3", deadline)], [], []]
        # rows 2 and 3 have no deadline cell (the spanning one covers them) and their own unit cell
        assert [len(row.findall("td")) for row in rows] == [3, 2, 2]
        # a copy for each card (the first card's spanning cell is hidden on phones)
        copies = [[c.text_content().strip() for c in row.find_class("ps-shared-copy")] for row in rows]
        assert copies == [[deadline]] * 3


def own_text(cell) -> str:
    """A cell's text without the copies of shared values it holds for phones."""
    return "".join(cell.xpath("text()|*[not(contains(@class, 'ps-shared-copy') or "
                              "contains(@class, 'ps-card-label'))]//text()")).strip()


def test_a_narrowed_view_cuts_the_merged_cells_to_the_actions_it_keeps(built: Path) -> None:
    """The units view shows 獸醫科's action alone: its deadline is a cell of its own there (the
    plan's cell spans three rows), and the two actions of 動物保護科 share one cell."""
    page = html.fromstring((built / "plans" / PLAN / "units" / "index.html").read_bytes())
    found = {}
    for part in page.find_class("ps-view"):
        title = part.find_class("ps-view__title")[0].text.strip()
        rows = part.find_class("ps-action-table")[0].findall("tbody/tr")
        found[title] = [[(td.get("rowspan"), own_text(td)) for td in row.findall("td")[1:]] for row in rows]
    assert found["獸醫科"] == [[(None, "113年12月"), (None, "獸醫科")]]
    assert found["動物保護科"] == [[("2", "113年12月"), (None, "動物保護科")], [(None, "動物保護科")]]


def test_a_browser_shows_the_value_once_on_a_desktop_and_on_every_card_on_a_phone(built: Path) -> None:
    from playwright.sync_api import sync_playwright

    from plansite.check import CHROMIUM, CHROMIUM_ARGS, serve

    rows = "[...document.querySelectorAll('.ps-action-table')[0].tBodies[0].rows]"
    lines = rows + ".map(r => r.innerText.split('\\n').map(l => l.trim()).filter(l => l))"
    # the column names a card shows: a cell's ::before, or a line of its own after the copies
    names = rows + """.map(r => [...r.querySelectorAll('td, .ps-shared-copy, .ps-card-label')]
      .filter(e => e.offsetParent !== null || e.matches('.ps-shared-copy, .ps-card-label')
                   && getComputedStyle(e).display !== 'none')
      .map(e => e.matches('.ps-card-label') ? e.textContent : getComputedStyle(e, '::before').content)
      .filter(c => c !== 'none'))"""
    found = {}
    with serve(built) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for width in (375, 1280):
            page = browser.new_page(viewport={"width": width, "height": 800}, java_script_enabled=False)
            page.goto(f"{base}plans/{PLAN}/index.html")
            found[width] = page.evaluate(lines), page.evaluate(names)
            page.close()
        browser.close()
    assert ["\n".join(row).count("113年12月") for row in found[1280][0]] == [1, 0, 0]  # the spanning cell
    # each card: number, action, deadline, unit, each value under its column's name, in that order
    assert [row[1:] for row in found[375][0]] == [
        ["定期檢視收容空間。", "113年12月", "承辦單位", "動物保護科"],  # 承辦單位 is a line after the copy
        ["辦理收容動物健康檢查。", "113年12月", "承辦單位", "獸醫科"],
        ["公告認養資訊。", "113年12月", "承辦單位", "動物保護科"]]
    assert found[375][1] == [['"完成期限" / ""', "承辦單位"]] * 3


def test_the_page_with_a_shared_cell_passes_the_nu_checker_and_pa11y(built: Path) -> None:
    from plansite.check import INSTALLED, find_tools, run_pa11y, run_vnu, serve

    tools = find_tools(INSTALLED)
    pages = [f"plans/{PLAN}/index.html"]
    assert run_vnu(tools["java"], tools["vnu"], built, pages) == []
    with serve(built) as base:
        assert run_pa11y(tools["pa11y-ci"], base, pages) == []


def odt_cells(path: Path) -> list[list[tuple[str, str | None, str]]]:
    """Each body row's cells: (kind, rows spanned, text)."""
    content = etree.fromstring(zipfile.ZipFile(path).read("content.xml"))
    table = next(content.iter(f"{TABLE}table"))
    return [[(etree.QName(cell).localname, cell.get(f"{TABLE}number-rows-spanned"),
              "".join(cell.itertext()).strip()) for cell in row]
            for row in table.findall(f"{TABLE}table-row")]


def test_the_odt_has_one_merged_cell_that_libreoffice_reads(built: Path, tmp_path: Path) -> None:
    path = built / "downloads" / f"{PLAN}.zh-Hant.odt"
    assert odt_cells(path) == [
        [("table-cell", None, "1."), ("table-cell", None, "定期檢視收容空間。"),
         ("table-cell", "3", "113年12月"), ("table-cell", None, "動物保護科")],
        [("table-cell", None, "2."), ("table-cell", None, "辦理收容動物健康檢查。"),
         ("covered-table-cell", None, ""), ("table-cell", None, "獸醫科")],
        [("table-cell", None, "3."), ("table-cell", None, "公告認養資訊。"),
         ("covered-table-cell", None, ""), ("table-cell", None, "動物保護科")]]
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "OpenDocument-v1.2-os-schema.rng")))
    assert schema.validate(etree.fromstring(zipfile.ZipFile(path).read("content.xml"))), schema.error_log
    # LibreOffice keeps the merged cell: saved again as ODT, the spanning cell is still there
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "odt", "--outdir", str(tmp_path / "out"), str(path)],
                   check=True, capture_output=True, timeout=300, env=os.environ | {"HOME": str(tmp_path)})
    again = odt_cells(tmp_path / "out" / path.name)
    assert [[(kind, rows) for kind, rows, _ in row[2:3]] for row in again] == [
        [("table-cell", "3")], [("covered-table-cell", None)], [("covered-table-cell", None)]]


def test_the_pdf_has_one_merged_cell_tagged_with_its_row_span(built: Path) -> None:
    from plansite.pdf_tags import audit, content_refs, elements_below, kids, role
    from plansite.render_pdf import marked_texts

    for lang in ("zh-Hant", "en"):
        with pikepdf.open(built / "downloads" / f"{PLAN}.{lang}.pdf") as pdf:
            found = audit(pdf, marked_texts(pdf))
            assert found.problems == []
            texts = marked_texts(pdf)
            table = next(e for e in elements_below(pdf.Root.StructTreeRoot) if role(e) == "Table")
            rows = [e for e in elements_below(table) if role(e) == "TR"][1:]  # after the header row
            spans = [[int(c.A.get("/RowSpan", 1)) for c in kids(row) if role(c) == "TD" and "/A" in c]
                     for row in rows]
            words = [[re.sub(r"\s+", "", "".join(texts.get(ref, "") for e in [c, *elements_below(c)]
                                                  for ref in content_refs(e)))
                      for c in kids(row) if role(c) == "TD"] for row in rows]
        assert spans == [[1, 3, 1], [1, 1], [1, 1]], (lang, words)
        deadline, unit, other = (("113年12月", "動物保護科", "獸醫科") if lang == "zh-Hant"
                                 else ("ByDecember2024", "AnimalProtectionSection", "VeterinarySection"))
        # the deadline once, in the spanning cell; no copy for phones, no column name
        assert words == [["1.", deadline, unit], ["2.", other], ["3.", unit]]


def test_a_row_puts_each_shared_value_before_the_next_cell_of_its_own_and_the_rest_after_the_last() -> None:
    """How a phone card shows shared values (render_html.row_cells): a copy of each shared column
    sits in the next cell the action has of its own, in the column's place; those after its last
    own cell go at the end of that cell; with no cell of its own, all go under the action."""
    from plansite.render_html import row_cells

    def action(*shared: tuple[str, int]) -> m.Action:
        return m.Action("a1", "1.", (), None, (), (), m.Location("p.md", 1),
                        shared=tuple(m.SharedCell(column, rows) for column, rows in shared))

    columns = ["期限", "單位", "備註", "經費"]
    assert row_cells(action(("期限", 0)), columns) == (3, [
        ("期限", 0, [], []), ("單位", 1, ["期限"], []), ("備註", 1, [], []), ("經費", 1, [], [])])
    assert row_cells(action(("期限", 2), ("經費", 0)), columns) == (2, [
        ("期限", 2, [], []), ("單位", 1, ["期限"], []), ("備註", 1, [], ["經費"]), ("經費", 0, [], [])])
    assert row_cells(action(*((c, 0) for c in columns)), columns)[0] == -1
