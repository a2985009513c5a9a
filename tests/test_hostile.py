"""Hostile input: malformed and malicious plans never cause a traceback, a half-published
site, a file written outside site/, or an unescaped payload in anything published.

The corpus is tests/hostile/: each case is CASE.zh-Hant.md (and maybe CASE.en.md) beside
CASE.expected, which holds either the exact error output of ``python build.py`` or the word
``published`` (the right behaviour is to publish it harmlessly). Cases that cannot sensibly be
committed (a 20 MB file, a symbolic link) are made by the tests below.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from plansite.cli import main
from plansite.content import parse_plan
from plansite.errors import Report

from .conftest import copy_project

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted({p.name.split(".")[0] for p in HOSTILE.glob("*.md")})
OUR_SCRIPTS = ("assets/reader.js", "assets/search.js")
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")


def project_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    project = copy_project(tmp_path / "project", plans=[])
    for name, data in files.items():
        (project / "content" / "plans" / name).write_bytes(data)
    return project


def everything(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` but the site and the download cache, with its mtime."""
    return {p.relative_to(folder).as_posix(): p.lstat().st_mtime for p in folder.rglob("*")
            if not p.is_dir() and "site" not in p.relative_to(folder).parts[1:2] and ".cache" not in p.parts}


def build(project: Path, capsys, *options: str) -> tuple[int, str]:
    """``python build.py`` in this process: an exception escaping it would be a traceback."""
    before = everything(project.parent)
    status = main(["--project", str(project), *options])
    assert everything(project.parent) == before, "the build wrote outside site/"
    return status, capsys.readouterr().err


def assert_harmless(site: Path) -> None:
    """No page or feed can run anything but the site's own scripts."""
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".xml") or path.parts[-2:-1] == ("pagefind",):
            continue
        where = path.relative_to(site).as_posix()
        parser = html.HTMLParser if path.suffix == ".html" else etree.XMLParser
        root = etree.fromstring(path.read_bytes(), parser(recover=False) if path.suffix == ".xml" else parser())
        for element in root.iter(etree.Element):
            tag = etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""
            assert tag not in ("iframe", "object", "embed", "img", "frame"), f"{where}: <{tag}>"
            assert tag != "form" or element.get("action") == "index.html", f"{where}: a form that is not search"
            if tag == "script":
                source = element.get("src") or ""
                assert source.endswith(OUR_SCRIPTS) or element.get("type") == "application/ld+json", \
                    f"{where}: a script that is not ours"
                if element.get("type") == "application/ld+json":
                    json.loads(element.text)
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), f"{where}: <{tag} {name}>"
                if name in ("href", "src", "action"):
                    assert not value.strip().lower().startswith(BAD_SCHEMES), f"{where}: {name}={value}"


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_plan_fails_cleanly_or_publishes_harmlessly(case: str, tmp_path: Path, capsys) -> None:
    files = {p.name: p.read_bytes() for p in HOSTILE.glob(f"{case}.*.md")}
    expected = (HOSTILE / f"{case}.expected").read_text(encoding="utf-8")
    project = project_with(tmp_path, files)
    status, errors = build(project, capsys, "--no-downloads")
    if expected.strip() == "published":
        assert status == 0, errors
        assert_harmless(project / "site")
    else:
        assert (status, errors) == (1, expected)
        assert not (project / "site").exists()


def test_the_corpus_is_complete() -> None:
    assert len(CASES) + 2 >= 40  # and the two made below
    for case in CASES:
        assert (HOSTILE / f"{case}.expected").is_file(), case


def test_a_20_mb_plan_is_refused_before_it_is_read(tmp_path: Path, capsys) -> None:
    head = (HOSTILE / "raw-script.zh-Hant.md").read_text(encoding="utf-8").replace("raw-script", "huge-plan")
    project = project_with(tmp_path, {"huge-plan.zh-Hant.md": (head + "服務。" * 2_300_000).encode("utf-8")})
    status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.startswith("content/plans/huge-plan.zh-Hant.md:1: the file is 20.7 MB; a plan file may be at "
                             "most 2 MB")


def test_a_link_to_a_file_outside_content_is_refused(tmp_path: Path, capsys) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text((HOSTILE / "raw-script.zh-Hant.md").read_text(encoding="utf-8"), encoding="utf-8")
    project = project_with(tmp_path, {})
    (project / "content" / "plans" / "raw-script.zh-Hant.md").symlink_to(secret)
    status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.splitlines()[0] == ("content/plans/raw-script.zh-Hant.md:1: the file is a link to a file outside "
                                      "content/plans/ — copy the plan into content/plans/ instead of linking to it")


def test_no_published_cell_is_a_spreadsheet_formula(tmp_path: Path, capsys) -> None:
    files = {p.name: p.read_bytes() for p in HOSTILE.glob("spreadsheet-formula.*.md")}
    project = project_with(tmp_path, files)
    assert build(project, capsys, "--no-downloads")[0] == 0
    text = (project / "site" / "data" / "plans" / "spreadsheet-formula.zh-Hant.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'=HYPERLINK(\"https://evil.example\",\"點我\")" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


# ---------------------------------------------------------------- generated input

FRONT_KEYS = ["id", "lang", "title", "agency", "year", "classification", "tables", "issued", "basis",
              "framework", "zh", "en", "service", "groups", "action", "deadline", "units"]
SCALARS = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FRONT_KEYS) | st.text(max_size=6), inner,
                                                 max_size=4)), max_leaves=12)
LINES = st.one_of(
    st.sampled_from(["# 壹、計畫依據", "## 壹、基礎服務", "### 一、環境", "::: actions main", ":::",
                     "- 1. 服務場所美化。", "  完成期限：隨時辦理", "  承辦單位：各單位", "- (一) 項目",
                     "  - 1. 子項", "〔編註：無法辨識〕", "[連結](https://example.org)", "{#x}", "---",
                     "完成期限：106.5.1~106.4.1", "    code", "> 引", "<b>粗</b>", "| a | b |", ""]),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.dictionaries(st.sampled_from(FRONT_KEYS), VALUES, max_size=8), lines=st.lists(LINES, max_size=25))
def test_the_parser_only_ever_returns_a_plan_or_reports_problems(front, lines) -> None:
    """Whatever the front matter and Markdown, parse_plan returns a plan or None with its
    problems in the report; any exception at all is a bug."""
    text = "---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n" + "\n".join(lines) + "\n"
    report = Report("generated.zh-Hant.md")
    plan = parse_plan(text, report, file_id="generated", file_lang="zh-Hant")
    assert plan is not None or report.problems
    for problem in report.problems:
        assert problem.line >= 1 and problem.message


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400))
def test_any_text_at_all_is_a_plan_or_problems(text) -> None:
    report = Report("generated.zh-Hant.md")
    plan = parse_plan(text, report, file_id="generated", file_lang="zh-Hant")
    assert plan is not None or report.problems
