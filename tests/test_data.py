"""Open data: every published JSON validates against the published schema, the catalogue
points at files that exist, every CSV opens as a spreadsheet would read it, and the data page
lists every dataset."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from lxml import html


@pytest.fixture(scope="module")
def data(built_site: Path) -> Path:
    return built_site / "data"


def test_the_schema_is_valid_and_every_plan_json_follows_it(data: Path) -> None:
    schema = json.loads((data / "plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted((data / "plans").glob("*.json"))
    assert len(files) == 10
    for path in files:
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))]
        assert errors == [], path.name


def test_the_schema_rejects_what_is_wrong(data: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads((data / "plan.schema.json").read_text(
        encoding="utf-8")))
    plan = json.loads((data / "plans" / "keelung-tax-2023.zh-Hant.json").read_text(encoding="utf-8"))
    for damage in (lambda p: p["actions"][0]["deadline"].update(kind="soon"),
                   lambda p: p.update(year="112"),
                   lambda p: p["actions"][0].pop("units"),
                   lambda p: p.update(unexpected=True)):
        broken = copy.deepcopy(plan)
        damage(broken)
        assert list(validator.iter_errors(broken))


def test_the_catalogue_lists_every_plan_with_working_addresses(data: Path) -> None:
    catalogue = json.loads((data / "plans.json").read_text(encoding="utf-8"))
    site = data.parent
    assert catalogue["schema"] == "https://plans.example.org/data/plan.schema.json"
    assert sorted(p["id"] for p in catalogue["plans"]) == sorted(
        p.name.removesuffix(".zh-Hant.json") for p in (data / "plans").glob("*.zh-Hant.json"))
    for plan in catalogue["plans"]:
        assert set(plan["urls"]) == {"zh-Hant", "en"}
        detail = json.loads((data / "plans" / f"{plan['id']}.zh-Hant.json").read_text(encoding="utf-8"))
        assert plan["actions"] == len(detail["actions"]) and plan["title"]["zh"] == detail["title"]
        for urls in plan["urls"].values():
            for url in urls.values():
                relative = url.removeprefix("https://plans.example.org/")
                target = site / relative
                assert (target / "index.html" if relative.endswith("/") else target).is_file(), url


def test_every_csv_reads_as_a_spreadsheet_would(data: Path) -> None:
    for path in sorted((data / "plans").glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        english = ".en." in path.name
        # the columns a program reads by position keep their names; the plan's own columns
        # carry the labels its tables print (docs/format.md, "The CSV columns")
        assert rows[0][:3] + rows[0][6:8] == (["plan", "id", "number", "deadline start", "deadline end"]
                                              if english else ["計畫", "編號", "項次", "期限起", "期限迄"])
        if path.name.startswith("keelung-tax-2023."):
            assert rows[0] == (["plan", "id", "number", "Implementation item", "Measures", "Deadline",
                                "deadline start", "deadline end", "Responsible units"] if english
                               else ["計畫", "編號", "項次", "實施要項", "推動作法", "完成期限", "期限起",
                                     "期限迄", "承辦單位"])
        if path.name.startswith("hsinchu-tax-2018.zh"):
            assert rows[0][3:6] + rows[0][8:] == ["評核構面／評核項目", "具體作法", "完成期限", "主/協辦單位"]
        detail = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert [row[1] for row in rows[1:]] == [a["id"] for a in detail["actions"]]
        for row, action in zip(rows[1:], detail["actions"], strict=True):
            assert row[4] == action["text"]
            assert row[6] == (action["deadline"]["start"] or "") if action["deadline"] else row[6] == ""


def test_the_data_page_lists_every_dataset_in_both_languages(data: Path) -> None:
    site = data.parent
    for prefix in ("", "en/"):
        page = html.fromstring((site / prefix / "data" / "index.html").read_bytes())
        linked = {a.get("href").split("data/", 1)[-1] for a in page.iter("a") if "data/" in a.get("href", "")}
        expected = {"plans.json", "plan.schema.json"} | {f"plans/{p.name}"
                                                         for p in (data / "plans").iterdir()}
        assert expected <= linked
        assert any("open-data/index.html" in a.get("href", "") for a in page.iter("a"))  # the licence
        assert len(page.findall(".//table")) == 2
        for row in page.findall(".//table")[0].iter("tr"):  # each file's size as the plan pages state sizes
            if not row.findall("td"):
                continue
            href = row.find("th/a").get("href")
            size = (site / prefix / "data" / href).resolve().stat().st_size
            stated = row.findall("td")[1].text_content()
            assert stated == f"{max(1, round(size / 1024)):,}\u00a0KB" if size < 1024 * 1024 else \
                stated == f"{size / 1024 / 1024:,.1f}\u00a0MB", (href, size, stated)
            # a plan's data in the other language says so where the eye sees it, not in lang= alone
            other = ".zh-Hant." in href if prefix else ".en." in href
            said = row.findall("td")[0].text_content()
            assert said.endswith("in Chinese)" if prefix else "英文）") == other, (href, said)


def test_each_plan_page_links_its_own_data_in_its_language(data: Path) -> None:
    """Under "Open data" a plan page links its JSON, and its CSV when it has actions (a table
    for a spreadsheet), both in the page's language, each typed and leading to the file."""
    site = data.parent
    pages = sorted(site.glob("plans/*/index.html")) + sorted(site.glob("en/plans/*/index.html"))
    for path in pages:
        plan_id = path.parent.name
        tag = "en" if path.is_relative_to(site / "en") else "zh-Hant"
        plan = json.loads((data / "plans" / f"{plan_id}.{tag}.json").read_bytes())
        page = html.fromstring(path.read_bytes())
        links = page.xpath("//dt[.='Open data' or .='開放資料']/following-sibling::dd[1]//a")
        expected = [("json", "application/json")] + ([("csv", "text/csv")] if plan["actions"] else [])
        assert [(a.get("href").rpartition(".")[2], a.get("type")) for a in links] == expected, path
        for link in links:
            assert (path.parent / link.get("href")).resolve() == (data / "plans" / f"{plan_id}.{tag}."
                                                                  f"{link.get('href').rpartition('.')[2]}")


def test_a_plans_csv_is_headed_with_its_own_column_names_and_its_further_columns(tmp_path: Path) -> None:
    """The header names the plan's columns as it prints them (not 分組, 內容, 單位), a further
    column (備註) follows the nine, and the cells a formula could hide in are guarded there too."""
    from plansite.content import read_plan_file
    from plansite.render_csv import render_plan_csv

    path = tmp_path / "sample-plan.zh-Hant.md"
    path.write_text("""---
id: sample-plan
lang: zh-Hant-TW
title: 測試計畫
agency: {zh: 測試局, en: Test Bureau}
year: 105
classification: {service: I00}
tables:
  main:
    groups: [實施要項, 執行策略]
    action: 執行方法
    deadline: 完成期限
    units: 承辦單位
    fields: [備註, "=檢核"]
---

# 壹、執行方法

::: actions main

## 一、強化收容管理

### (一) 收容空間

- 1. 定期檢視收容空間。
  完成期限：隨時辦理
  承辦單位：動物保護科
  備註：=1+1

- 2. 公告認養資訊。
  完成期限：113年12月
  承辦單位：動物保護科
  =檢核：每季

:::
""", encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert problems == [], [str(p) for p in problems]
    rows = list(csv.reader(io.StringIO(render_plan_csv(plan).removeprefix("\ufeff"), newline="")))
    assert rows[0] == ["計畫", "編號", "項次", "實施要項／執行策略", "執行方法", "完成期限", "期限起",
                       "期限迄", "承辦單位", "備註", "'=檢核"]
    assert [row[9:] for row in rows[1:]] == [["'=1+1", ""], ["", "每季"]]


@pytest.mark.parametrize("title", ["schema", "catalogue"])
def test_a_plan_titled_as_a_site_dataset_is_listed_under_its_own_title(tmp_path: Path, title: str) -> None:
    """The data page named the catalogue and the schema by a title of 'catalogue' and 'schema':
    a plan titled so was listed as the catalogue or the schema, without its language marked."""
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    chinese = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    text = chinese.read_text(encoding="utf-8")
    head, _, rest = text.partition("\ntitle: ")
    chinese.write_text(f"{head}\ntitle: {title}\n{rest.partition(chr(10))[2]}", encoding="utf-8")
    build(project, project / "site", downloads=False)
    page = html.fromstring((project / "site" / "en" / "data" / "index.html").read_bytes())
    rows = {a.get("href").split("data/", 1)[-1]: a for a in page.iter("a") if "data/" in a.get("href", "")}
    own = rows["plans/mof-2017.zh-Hant.json"]
    assert own.text == title and own.get("hreflang") == "zh-Hant-TW" and own.get("lang") == "zh-Hant-TW"
    assert rows["plans.json"].text == "Catalogue of all plans"
    assert rows["plan.schema.json"].text == "Schema of the plan JSON"
