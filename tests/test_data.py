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
        assert rows[0] == (["plan", "id", "number", "groups", "text", "deadline", "deadline start",
                            "deadline end", "units"] if english
                           else ["計畫", "編號", "項次", "分組", "內容", "完成期限", "期限起", "期限迄",
                                 "單位"])
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
