"""The complete example in docs/format.md is real: it reads without problems and builds."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import jsonschema
import pikepdf
from lxml import etree, html

from plansite import model as m
from plansite.content import read_plan_file
from plansite.site import build

from .conftest import PROJECT, copy_project


def example() -> str:
    doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc.split("## A complete example", 1)[1]
    return re.search(r"^```markdown\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]


def test_the_documented_example_reads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "example-tax-2024.zh-Hant.md"
    path.write_text(example(), encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == []
    assert [s.id for s in plan.sections] == ["basis", "s2", "s3", "s4"]
    actions = [a for _, a in plan.actions()]
    assert [a.id for a in actions] == ["main-1-1-a1", "bilingual-signs", "main-2-a1"]
    assert [a.deadline.kind for a in actions] == ["ongoing", "range", "month"]


def test_the_documented_example_builds(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", plans=[])
    (project / "content" / "plans" / "example-tax-2024.zh-Hant.md").write_text(example(), encoding="utf-8")
    result = build(project, project / "site")
    assert [e.zh.id for e in result.editions] == ["example-tax-2024"]
    assert (project / "site" / "plans" / "example-tax-2024" / "index.html").is_file()


# ---------------------------------------------------------------- a regulation (standing document)


def regulation() -> str:
    doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc.split("### A regulation: a complete example", 1)[1]
    return re.search(r"^```markdown\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]


REGULATION_EN = """---
id: example-rules
lang: en
title: Example City Tax Bureau Rules for Better and Quicker Services
---

# 1. {#purpose}

To improve the quality and efficiency of its services under the Government Service Upgrade
Program, the bureau sets out these rules.

# 2.

These rules apply to every section and branch of the bureau.

# 3.

The rules are carried out as follows:

- (1) The service procedures are reviewed every quarter.
- (2) A satisfaction survey is held every year.

# 4. These rules take effect when the Director approves them, and so do their amendments.
"""


def test_the_documented_regulation_reads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "example-rules.zh-Hant.md"
    path.write_text(regulation(), encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == []
    assert plan.year is None and plan.standing and plan.year_ad is None
    assert plan.amended == (date(2018, 6, 1), date(2023, 1, 5))
    assert plan.period == m.Period(date(2024, 1, 1), date(2027, 12, 31))
    assert [s.id for s in plan.sections] == ["purpose", "s2", "s3", "s4"]
    assert [(s.number, m.plain_text(s.title)) for s in plan.sections][:3] == [("一、", ""), ("二、", ""),
                                                                             ("三、", "")]
    assert [m.heading_label(s) for s in plan.sections] == [
        "一、本局為提升服務品質及行政效率…", "二、本計畫實施對象為本局各科室及各分局。",
        "三、本計畫之執行方式如下…", "四、本計畫奉局長核定後實施，修正時亦同。"]


def test_the_documented_regulation_builds_in_both_languages_with_its_downloads(tmp_path: Path) -> None:
    """What a reader sees instead of a year, the dates of its life, and contents entries that
    name its untitled points: on the pages, in the JSON, the PDF's bookmarks and the ODT's outline."""
    from .test_translation import unmarked_chinese

    project = copy_project(tmp_path / "project", plans=["keelung-tax-2023"])
    plans = project / "content" / "plans"
    (plans / "example-rules.zh-Hant.md").write_text(regulation(), encoding="utf-8")
    (plans / "example-rules.en.md").write_text(REGULATION_EN, encoding="utf-8")
    build(project, project / "site")
    site = project / "site"

    zh = html.parse(str(site / "plans" / "example-rules" / "index.html")).getroot()
    en = html.parse(str(site / "en" / "plans" / "example-rules" / "index.html")).getroot()
    facts = {dt.text_content(): dt.getnext().text_content() for dt in zh.find_class("ps-meta")[0].iter("dt")}
    assert (facts["年度"], facts["修正日期"], facts["執行期程"], facts["作法數"]) == (
        "不分年度（常設規定）", "107年6月1日、112年1月5日", "113年1月1日至116年12月31日", "無（未列作法表）")
    facts = {dt.text_content(): dt.getnext().text_content() for dt in en.find_class("ps-meta")[0].iter("dt")}
    assert (facts["Year"], facts["Amended"], facts["Period"]) == (
        "Standing (no plan year)", "June 1, 2018, January 5, 2023", "January 1, 2024 to December 31, 2027")
    assert unmarked_chinese(en) == []
    contents = [a.text_content() for a in zh.find_class("ps-toc__list")[0].iter("a")]
    assert contents[0] == "一、本局為提升服務品質及行政效率…"
    contents = [a.text_content() for a in en.find_class("ps-toc__list")[0].iter("a")]
    assert contents == ["1. To improve the quality and efficiency of…",
                        "2. These rules apply to every section and…",
                        "3. The rules are carried out as follows…",
                        ("4. These rules take effect when the Director approves them, and so do their "
                         "amendments.")]
    heading = en.get_element_by_id("purpose")  # the anchor of a point with only a number
    assert heading.text_content() == "1. To improve the quality and efficiency of…"
    assert heading.find_class("ps-visually-hidden")

    home = html.parse(str(site / "index.html")).getroot()
    rows = [[td.text_content() for td in tr.findall("td")] for tr in home.find(".//tbody")]
    assert [r[1] for r in rows] == ["民國112年", "不分年度（常設規定）"]  # after the plans of every year
    assert [r[2] for r in rows] == ["60", "無（未列作法表）"]  # not "0"
    years = [o.get("value") for o in html.parse(str(site / "search" / "index.html")).getroot()
             .get_element_by_id("search-year").iter("option")]
    assert years == ["", "112", "standing"]

    data = json.loads((site / "data" / "plans" / "example-rules.zh-Hant.json").read_text(encoding="utf-8"))
    assert (data["year"], data["year_ad"], data["amended"], data["period"]) == (
        None, None, ["2018-06-01", "2023-01-05"], {"start": "2024-01-01", "end": "2027-12-31"})
    schema = json.loads((site / "data" / "plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    catalogue = json.loads((site / "data" / "plans.json").read_text(encoding="utf-8"))
    assert {p["id"]: p["year"] for p in catalogue["plans"]} == {"example-rules": None,
                                                                 "keelung-tax-2023": 112}
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert "<summary>範例市稅務局</summary>" in feed and " 0<" not in feed and "None" not in feed

    downloads = site / "downloads"
    odf = etree.RelaxNG(etree.parse(str(PROJECT / "tests" / "schemas" / "odf-1.2" /
                                        "OpenDocument-v1.2-os-schema.rng")))
    for lang, first in (("zh-Hant", "一、本局為提升服務品質及行政效率…"),
                        ("en", "1. To improve the quality and efficiency of…")):
        with pikepdf.open(downloads / f"example-rules.{lang}.pdf") as pdf, pdf.open_outline() as outline:
            bookmarks = [item.title for top in outline.root for item in top.children]
        assert bookmarks[0] == first, lang
        content = zipfile.ZipFile(downloads / f"example-rules.{lang}.odt").read("content.xml").decode()
        assert odf.validate(etree.fromstring(content.encode())), odf.error_log.last_error  # hidden text too
        assert "Outline_20_Words" in content and first.split(maxsplit=1)[-1].lstrip("一、") in content, lang
        assert ("修正日期：</text:span>107年6月1日、112年1月5日" if lang == "zh-Hant"
                else "Period:<text:s/></text:span>January 1, 2024 to December 31, 2027") in content, lang
        text = subprocess.run(["pdftotext", str(downloads / f"example-rules.{lang}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        said = " ".join(text.split())
        assert ("年度 不分年度（常設規定）" if lang == "zh-Hant" else "Year Standing (no plan year)") in said
        assert ("修正日期 107年6月1日、112年1月5日 執行期程 113年1月1日至116年12月31日" if lang == "zh-Hant"
                else "Amended June 1, 2018, January 5, 2023 Period January 1, 2024 to December 31, "
                     "2027") in said


def test_the_format_lists_every_service_code_with_its_meaning() -> None:
    from plansite.classification import SERVICE_CODES

    doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([0-9A-I]00)` \| (\S+) \|$", doc, re.MULTILINE))
    assert listed == SERVICE_CODES
