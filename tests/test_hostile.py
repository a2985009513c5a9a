"""Hostile input: malformed and malicious plans never cause a traceback, a half-published
site, a file written outside site/, or an unescaped payload in anything published.

The corpus is tests/hostile/: each case is CASE.zh-Hant.md (and maybe CASE.en.md), or a
settings file CASE.site.yml, CASE.glossary.yml or CASE.frameworks.yml that replaces the
project's own, beside CASE.expected, which holds either the exact error output of
``python build.py`` or the word ``published`` (the right behaviour is to publish it harmlessly).
Cases that cannot sensibly be committed (a 20 MB file, a symbolic link, a named pipe) are made by
the tests below.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from plansite.cli import main
from plansite.config import BADGE_HINT, SiteConfig, load_config
from plansite.content import load_frameworks, load_glossary, load_plans
from plansite.errors import ContentError, Problem, Report
from plansite.inputs import FORBIDDEN, Unreadable, read_source
from plansite.plan_file import parse_plan
from plansite.publish import digest_project

from .conftest import PROJECT, copy_project

HOSTILE = Path(__file__).parent / "hostile"
SETTINGS = {"site.yml": "site.yml", "glossary.yml": "content/glossary.yml",
            "frameworks.yml": "content/frameworks.yml"}
"""A settings case's file name ending → the file it replaces."""
CASES = sorted({p.name.split(".")[0] for p in [*HOSTILE.glob("*.md"), *HOSTILE.glob("*.yml")]})
OUR_SCRIPTS = ("assets/reader.js", "assets/search.js")
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")


def project_with(tmp_path: Path, files: dict[str, bytes], plans: list[str] | None = None) -> Path:
    """A project of these files (and of these real ``plans``)."""
    project = copy_project(tmp_path / "project", plans=plans or [])
    for name, data in files.items():
        kind = name.split(".", 1)[1]
        (project / SETTINGS[kind] if kind in SETTINGS
         else project / "content" / "plans" / name).write_bytes(data)
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
        root = etree.fromstring(path.read_bytes(), parser(recover=False) if path.suffix == ".xml"
                                else parser())
        for element in root.iter(etree.Element):
            tag = etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""
            assert tag not in ("iframe", "object", "embed", "img", "frame"), f"{where}: <{tag}>"
            assert tag != "form" or element.get("action") == "index.html", \
                f"{where}: a form that is not search"
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
    files = {p.name: p.read_bytes() for p in HOSTILE.glob(f"{case}.*") if p.suffix in (".md", ".yml")}
    expected = (HOSTILE / f"{case}.expected").read_text(encoding="utf-8")
    # a case of settings files alone builds one real plan (a site of no plan is refused)
    project = project_with(tmp_path, files, [] if any(name.endswith(".md") for name in files)
                           else ["mof-2017"])
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
    # an .expected whose case has no plan or settings file would never run
    assert sorted(p.name.removesuffix(".expected") for p in HOSTILE.glob("*.expected")) == CASES


def test_a_20_mb_plan_is_refused_before_it_is_read(tmp_path: Path, capsys) -> None:
    head = (HOSTILE / "raw-script.zh-Hant.md").read_text(encoding="utf-8").replace("raw-script", "huge-plan")
    project = project_with(tmp_path, {"huge-plan.zh-Hant.md": (head + "服務。" * 2_300_000).encode("utf-8")})
    status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.startswith("content/plans/huge-plan.zh-Hant.md:1: the file is 20.7 MB; a plan file may be "
                             "at most 2 MB")


def test_a_link_to_a_file_outside_content_is_refused(tmp_path: Path, capsys) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text((HOSTILE / "raw-script.zh-Hant.md").read_text(encoding="utf-8"), encoding="utf-8")
    project = project_with(tmp_path, {})
    (project / "content" / "plans" / "raw-script.zh-Hant.md").symlink_to(secret)
    status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.splitlines()[0] == ("content/plans/raw-script.zh-Hant.md:1: the file is a link to a file "
                                      "outside content/plans/ — copy the plan into content/plans/ instead of "
                                      "linking to it")


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: reading a named pipe would wait forever."""
    def expire(*_):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


NOT_FILES = {  # kind: (how to make it, the problem)
    "named pipe": (os.mkfifo,
                   ("the file is a named pipe (FIFO), not a file — replace it with an ordinary file, or "
                               "remove it")),
    "folder": (Path.mkdir,
               "the file is a folder, not a file — replace it with an ordinary file, or remove it"),
    "dangling link": (lambda path: path.symlink_to(path.with_name("gone")),
                      ("the file is a link to a file that does not exist — make the link point at an "
                       "existing file, or put the file itself here")),
    "link loop": (lambda path: path.symlink_to(path.name),
                  "the file is a link that leads round in a loop — make the link point at an existing file"),
}
INPUTS = ("content/frameworks.yml", "content/glossary.yml", "content/plans/x.zh-Hant.md", "site.yml")


@pytest.mark.parametrize("kind", NOT_FILES)
def test_an_input_that_is_no_file_is_reported_at_its_path_at_once(kind: str, tmp_path: Path, capsys) -> None:
    make, problem = NOT_FILES[kind]
    project = project_with(tmp_path, {})
    for name in INPUTS:
        (project / name).unlink(missing_ok=True)
        make(project / name)
    with deadline(60):
        status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.splitlines() == [f"{name}:1: {problem}" for name in INPUTS] + [
        "4 problems found; site was not changed."]


def test_a_pipe_or_a_link_loop_elsewhere_never_holds_the_build(tmp_path: Path, capsys) -> None:
    """The build hashes every file of the project (to know when nothing changed): a pipe, or a
    link leading round in a loop, is no input."""
    project = project_with(tmp_path,
                           {"raw-script.zh-Hant.md": (HOSTILE / "raw-script.zh-Hant.md").read_bytes()})
    for name in ("notes.fifo", "content/notes"):
        os.mkfifo(project / name)
    for name in ("loop", "content/loop"):
        (project / name).symlink_to(name.split("/")[-1])
    with deadline(120):
        assert build(project, capsys, "--no-downloads")[0] == 0
        # what the build reads (templates, catalogs) or copies into the site as it is (assets)
        read = ["locales/zh_Hant_TW/LC_MESSAGES/messages.po", "templates/assets/site.css",
                "templates/base.html"]
        for name in read:
            (project / name).unlink()
            os.mkfifo(project / name)
        with (project / "content" / "plans" / "raw-script.zh-Hant.md").open("a", encoding="utf-8") as plan:
            plan.write("\n")  # so that there is something to build
        status, errors = build(project, capsys, "--no-downloads")
    assert (status, errors.splitlines()[:-1]) == (1, [f"{name}:1: {NOT_FILES['named pipe'][1]}"
                                                      for name in read])


def test_a_link_out_of_the_project_is_never_published(tmp_path: Path, capsys) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_bytes((PROJECT / "site.yml").read_bytes())
    project = project_with(tmp_path, {})
    (project / "site.yml").unlink()
    (project / "site.yml").symlink_to(secret)
    (project / "templates" / "assets" / "secret.css").symlink_to(secret)
    status, errors = build(project, capsys, "--no-downloads")
    assert status == 1
    assert errors.splitlines()[:2] == [
        ("site.yml:1: the file is a link to a file outside the project — copy the file into the project "
         "instead of linking to it"),
        ("templates/assets/secret.css:1: the file is a link to a file outside the project — copy the file "
         "itself into the project instead of linking to it"),
    ]


def test_a_file_name_that_is_no_text_is_shown_escaped(tmp_path: Path, capsys) -> None:
    """A name may hold any byte but '/' and NUL: never a traceback, nor an escape sequence on the terminal."""
    project = project_with(tmp_path, {})
    plan = (HOSTILE / "raw-script.zh-Hant.md").read_bytes()
    for folder, name in (("content/plans", b"\xff.zh-Hant.md"), ("content/plans", b"a\x1b[31mred.zh-Hant.md"),
                         ("content/plans", b"b\nc.zh-Hant.md"), ("templates/assets", b"\xfe.css"),
                         ("", b"\xfd")):
        with open(os.path.join(os.fsencode(project / folder), name), "wb") as file:
            file.write(plan)
    status, errors = build(project, capsys, "--no-downloads")
    named = ("is not of the form ID.LANG.md — name plan files like keelung-tax-2023.zh-Hant.md "
             "(id in a-z, 0-9 and -)")
    assert (status, errors.splitlines()) == (1, [
        f"content/plans/\\xFF.zh-Hant.md:1: the file name '\\xFF.zh-Hant.md' {named}",
        f"content/plans/a\\u001B[31mred.zh-Hant.md:1: the file name 'a\\u001B[31mred.zh-Hant.md' {named}",
        f"content/plans/b\\u000Ac.zh-Hant.md:1: the file name 'b\\u000Ac.zh-Hant.md' {named}",
        ("templates/assets/\\xFE.css:1: the file name holds a character that is not text, or an invisible "
         "one — rename it: its name becomes a web address"),
        "4 problems found; site was not changed."])


def test_a_settings_file_too_big_is_refused_before_it_is_read(tmp_path: Path, capsys) -> None:
    project = project_with(tmp_path, {})
    glossary = project / "content" / "glossary.yml"
    glossary.write_bytes(glossary.read_bytes() + b"# " + b"x" * 3_000_000 + b"\n")
    assert build(project, capsys, "--no-downloads") == (1, (
        "content/glossary.yml:1: the file is 3.0 MB; a settings file may be at most 2 MB — check it is the "
        "right file\n1 problem found; site was not changed.\n"))


BADGE = """accessibility_badge:
  href: https://accessibility.moda.gov.tw/
  image: {image}
  alt:
    zh: 無障礙標章
    en: Accessibility badge
"""
PNG = (PROJECT / "tests" / "fixtures" / "defects" / "assets" / "chart.png").read_bytes()
BADGES = {  # image: (how to make it, the problem)
    "pipe.png": (os.mkfifo,
                 "is a named pipe (FIFO), not a file — replace it with an ordinary file, or remove it"),
    "folder.png": (Path.mkdir, "is a folder, not a file — replace it with an ordinary file, or remove it"),
    "gone.png": (lambda path: path.symlink_to("nothing.png"),
                 ("is a link to a file that does not exist — make the link point at an existing file, or put "
                  "the file itself here")),
    "away.png": (lambda path: path.symlink_to(path.parent.parent / "badge.png"),
                 "is a link to a file outside the project — copy the file itself into the "
                 "project; " + BADGE_HINT),
    "big.png": (lambda path: path.write_bytes(PNG + bytes(2_000_000)),
                "is 2.0 MB; it may be at most 1 MB — " + BADGE_HINT),
    "page.svg": (lambda path: path.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
                 "is not a PNG, GIF or JPEG image — " + BADGE_HINT),
    "empty.png": (lambda path: path.write_bytes(b""), "is not a PNG, GIF or JPEG image — " + BADGE_HINT),
    "badge.gif": (lambda path: path.write_bytes(PNG),
                  "is a PNG image, but its name does not end in .png — rename it to end in .png"),
}


@pytest.mark.parametrize("image", BADGES)
def test_the_badge_image_is_an_image_file_inside_the_project(image: str, tmp_path: Path) -> None:
    make, problem = BADGES[image]
    (tmp_path / "badge.png").write_bytes(PNG)
    project = project_with(tmp_path, {})
    with (project / "site.yml").open("a", encoding="utf-8") as config:
        config.write(BADGE.format(image=image))
    make(project / image)
    with deadline(30), pytest.raises(ContentError) as error:
        load_config(project)
    line = (project / "site.yml").read_text(encoding="utf-8").count("\n") - 3
    assert [str(p) for p in error.value.problems] == [f"site.yml:{line}: the badge image '{image}' {problem}"]


def test_a_device_is_no_file() -> None:
    with pytest.raises(Unreadable, match="is a device, not a file"):
        read_source(Path("/dev/zero"), 1000)


@contextmanager
def unreadable_to_us(*paths: Path) -> Iterator[None]:
    """The files made unreadable to this process (root reads everything: then it acts as nobody)."""
    for path in paths:
        path.chmod(0)
    root = os.geteuid() == 0
    if root:
        os.seteuid(65534)
    try:
        yield
    finally:
        if root:
            os.seteuid(0)
        for path in paths:
            path.chmod(0o644)


def test_an_unreadable_input_is_one_problem_at_its_path() -> None:
    folder = Path(tempfile.mkdtemp(prefix="plansite-unreadable-"))  # not in tmp_path: nobody may enter it
    try:
        folder.chmod(0o755)
        project = copy_project(folder / "project", plans=[])
        shutil.copy(HOSTILE / "raw-script.zh-Hant.md", project / "content" / "plans")
        names = ["content/plans/raw-script.zh-Hant.md", "site.yml", "content/glossary.yml",
                 "content/frameworks.yml"]
        found = []
        with unreadable_to_us(*(project / name for name in names)):
            # what is unreadable is no input of the stamp
            digest_project(project, project / "site")
            for load in (load_plans, load_config, load_glossary, load_frameworks):
                with pytest.raises(ContentError) as error:
                    load(project)
                found += [str(problem) for problem in error.value.problems]
        assert found == [f"{name}:1: the file cannot be read (permission denied) — let the user who builds "
                         "the site read it, e.g. with chmod a+r" for name in names]
    finally:
        shutil.rmtree(folder)


def test_no_published_cell_is_a_spreadsheet_formula(tmp_path: Path, capsys) -> None:
    files = {p.name: p.read_bytes() for p in HOSTILE.glob("spreadsheet-formula.*.md")}
    project = project_with(tmp_path, files)
    assert build(project, capsys, "--no-downloads")[0] == 0
    text = (project / "site" / "data" / "plans" / "spreadsheet-formula.zh-Hant.csv").read_text(
        encoding="utf-8-sig")
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
@given(front=st.dictionaries(st.sampled_from(FRONT_KEYS), VALUES, max_size=8),
       lines=st.lists(LINES, max_size=25))
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


# ---------------------------------------------------------------- generated settings, built whole

TOKENS = {  # pieces of values: harmless to a correct build, though they look like markup or syntax
    "allowed": ["<script>alert(1)</script>", "]]>", "&amp;", '"', "'", "`", "\t", " ", "  ", "\U0001f600",
                "\u200f", "\u200d", "\ufeff", "臺北", "Disallow: /", "{{ 7*7 }}", "{% raw %}", "%s", "\\",
                " #", ": ", "- ", "*", "&a", "!!python/object/apply:os.system", "?", "|", ">", "--", "=1+1",
                "@SUM(A1)", "https://x"],
    # … and what no output can carry, or a single-line setting cannot hold
    "refused": ["\n", "\r", "\r\n", "\x00", "\x01", "\x1b[2J", "\x7f", "\x85", "\x9f", "\u2028", "\u2029",
                "\u202e", "\u2066", "\ufffe", "\uffff", "\ufdd0", "\ud800", "\udfff", "\U0010ffff", "\x0b",
                "\x0c", "\x1c"],
}
FREE_TEXT = {"zh", "en", "name", "note", "phone", "email", "title", "address", "office_hours", "source"}
"""Keys whose values are free text: with "allowed" pieces only, such a value must publish."""
SITE = {"base_url": "https://plans.example.org/",
        "site_name": {"zh": "提升服務品質計畫", "en": "Service Quality Improvement Plans"},
        "publisher": {"name": {"zh": "示範機關", "en": "Demonstration Agency"},
                      "address": {"zh": "臺北市", "en": "Taipei City"}, "phone": "(02) 2345-6789",
                      "email": "webmaster@example.org",
                      "office_hours": {"zh": "週一至週五", "en": "Weekdays"},
                      "privacy_url": "https://www.example.gov.tw/privacy"},
        "classification": {"service": "I00", "theme": "340"}}
GLOSSARY = [{"zh": "服務", "en": "service", "note": "用語"}, {"zh": ["臺北", "台北"], "en": "Taipei"}]
FRAMEWORKS = [{"id": "demo", "name": {"zh": "示範方案", "en": "Demonstration programme"},
               "source": {"zh": "行政院", "en": "Executive Yuan"},
               "measures": [{"id": "1", "zh": "一、完備基礎服務", "en": "1. Basic services"}]}]
FRONT = {"id": "fuzz", "lang": "zh-Hant-TW", "title": "測試計畫",
         "agency": {"zh": "測試局", "en": "Test Bureau"},
         "year": "112", "classification": {"service": "I00"},
         "tables": {"main": {"groups": ["實施要項"], "action": "推動作法", "deadline": "完成期限",
                             "units": "承辦單位"}},
         "framework": {"id": "demo", "groups": {"main-1": "1"}}}
BODY = ("# 壹、計畫依據\n\n請依本計畫辦理{text}。\n\n# 貳、計畫內容\n\n::: actions main\n\n## "
        "壹、基礎服務\n\n- 1. 服務場所美化{action}。\n  完成期限：隨時辦理\n  承辦單位：各單位\n\n:::\n")


NOT_IN_FONT = {"\U0001f600", "\u200f", "\u200d", "\ufeff"}
"""Allowed characters the PDF's font cannot draw: refused in a plan (at their line), fine in settings."""


@st.composite
def hostile(draw, value, key: str = "", refused: bool = False, printed: bool = False):
    """``value`` with pieces of hostile text in its strings: in free text only, unless ``refused``
    (then pieces that must be refused are drawn too). ``printed`` values stay within the PDF font."""
    if isinstance(value, dict):
        return {k: draw(hostile(v, k, refused, printed)) for k, v in value.items()}
    if isinstance(value, list):
        return [draw(hostile(v, key, refused, printed)) for v in value]
    if not refused and key not in FREE_TEXT:
        return value
    tokens = [t for t in TOKENS["allowed"] + TOKENS["refused"] * refused
              if not (printed and t in NOT_IN_FONT)]
    pieces = st.sampled_from(tokens)
    if refused or not printed:
        pieces |= st.text(st.characters() if refused else st.characters(
            blacklist_categories=("Cc", "Cs", "Co", "Cn", "Cf", "Zl", "Zp")), min_size=1, max_size=3)
    extra = st.lists(pieces, min_size=1, max_size=3).map("".join)
    if refused:
        return draw(st.sampled_from([value]) | extra.map(lambda e: value + e) | extra)
    return draw(st.sampled_from([value]) | extra.map(lambda e: value + e) | extra.map(lambda e: e + value))


def yaml_text(value, style: str, indent: int = 0) -> str:
    """YAML written by hand, so that values can be written in every style: JSON-quoted with escapes
    (a lone surrogate as \\ud800), JSON-quoted raw, or plain."""
    pad = " " * indent

    def scalar(text: str) -> str:
        return text if style == "plain" and text else json.dumps(text, ensure_ascii=style == "escaped")

    lines = []
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        head = f"{pad}{key}:" if isinstance(value, dict) else f"{pad}-"
        if isinstance(item, dict | list) and item:
            inner = yaml_text(item, style, indent + 2)
            lines.append(f"{head} {inner.lstrip()}" if isinstance(value, list) else f"{head}\n{inner}")
        else:
            lines.append(f"{head} {scalar(item) if isinstance(item, str) else json.dumps(item)}")
    return "\n".join(lines) + ("\n" if not indent else "")


@st.composite
def projects(draw, refused: bool | None = None, styles: tuple[str, ...] = ("escaped", "raw", "plain")
             ) -> dict[str, bytes]:
    """A plan, site.yml, the glossary and the frameworks, with hostile text in their values (with
    pieces that must be refused too, unless ``refused`` is False), written in one of ``styles``."""
    refused = draw(st.booleans()) if refused is None else refused
    style = draw(st.sampled_from(styles))
    files = {name: yaml_text(draw(hostile(template, refused=refused)), style)
             for name, template in (("site.yml", SITE), ("content/glossary.yml", GLOSSARY),
                                    ("content/frameworks.yml", FRAMEWORKS))}
    body = BODY.format(**{part: draw(hostile("", "title", refused, printed=True))
                          for part in ("text", "action")})
    front = yaml_text(draw(hostile(FRONT, refused=refused, printed=True)), style)
    files["content/plans/fuzz.zh-Hant.md"] = f"---\n{front}---\n\n{body}"
    return {name: text.encode("utf-8", "surrogatepass") for name, text in files.items()}


PROBLEM = re.compile(r"^(site\.yml|content/(glossary|frameworks)\.yml"
                     r"|content/plans/fuzz\.zh-Hant\.md):\d+: \S")
ODF_SCHEMA = Path(__file__).parent / "schemas" / "odf-1.2" / "OpenDocument-v1.2-os-schema.rng"


def assert_well_formed(site: Path, config: SiteConfig) -> None:
    """Every output parses as what it claims to be, holds no character an input may not, and shows
    the settings as the text they are."""
    for path in sorted(site.rglob("*")):
        where = path.relative_to(site).as_posix()
        if path.is_dir() or where.startswith("pagefind/") or path.suffix in (".odt", ".pdf", ".png",
                                                                             ".woff2"):
            continue
        text = path.read_bytes().decode("utf-8")
        found = FORBIDDEN.search(text.replace("\r\n", "\n"))  # CSV ends its lines with CR LF
        assert not found, f"{where}: {found[0]!r}"
        if path.suffix == ".xml":
            etree.fromstring(text.encode(), etree.XMLParser(recover=False))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".csv":
            assert list(csv.reader(io.StringIO(text)))
        elif path.suffix == ".html" and where in ("index.html", "en/index.html"):
            name = (config.site_name.en if where.startswith("en/") else config.site_name.zh)
            shown = html.fromstring(text).find_class("ps-header__name")[0].text_content()
            assert shown.split() == name.split(), where
    assert (site / "robots.txt").read_text(encoding="utf-8").splitlines() == [
        "User-agent: *", "Allow: /", f"Sitemap: {config.base_url}sitemap.xml"]
    assert_harmless(site)
    schema = etree.RelaxNG(etree.parse(str(ODF_SCHEMA)))
    for path in site.glob("downloads/*.odt"):
        for part in ("content.xml", "styles.xml", "meta.xml"):
            assert schema.validate(etree.fromstring(zipfile.ZipFile(path).read(part))), f"{path.name} {part}"
    for path in site.glob("downloads/*.pdf"):
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) >= 1


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> Path:
    """One project that every generated example overwrites (a fresh copy each time would cost more
    than the build)."""
    return project_with(tmp_path_factory.mktemp("fuzzed"), {})


def build_generated(project: Path, files: dict[str, bytes], capsys, *options: str) -> None:
    """Build generated inputs: a well-formed site, or problems at their lines; never anything else."""
    shutil.rmtree(project / "site", ignore_errors=True)
    for name, data in files.items():
        (project / name).write_bytes(data)
    status, errors = build(project, capsys, *options)
    lines = errors.splitlines()
    assert not FORBIDDEN.search(errors), "a message quotes a character it refuses"
    if status == 0:
        assert all(PROBLEM.match(line) and ": warning: " in line for line in lines), errors
        assert_well_formed(project / "site", load_config(project))
    else:
        assert status == 1 and lines, errors
        assert all(PROBLEM.match(line) for line in lines[:-1]), errors
        assert re.fullmatch(r"\d+ problems? found; site was not changed\.", lines[-1]), errors
        assert not (project / "site").exists()


@settings(max_examples=24, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(files=projects())
def test_generated_settings_and_plan_build_a_well_formed_site_or_report_problems(files, fuzzed,
                                                                                 capsys) -> None:
    build_generated(fuzzed, files, capsys, "--no-downloads")


@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(files=projects(refused=False, styles=("escaped",)))  # valid YAML: documents are made
def test_generated_input_makes_valid_documents_or_reports_problems(files, fuzzed, capsys) -> None:
    build_generated(fuzzed, files, capsys)


UNSHOWABLE = "\x1b\x07\x85\u2028\u2029\u202e\u2066\u200f\ud800\ufdd0\U0010ffff\x7f\t\r"
"""Everything a message must not show as it is: controls, separators, bidirectional controls and
marks, a surrogate, noncharacters."""


def test_a_problem_never_shows_what_could_act_on_a_terminal() -> None:
    text = str(Problem("plan.md", 3, f"unrecognised deadline '隨時{UNSHOWABLE}辦理'", f"not '{UNSHOWABLE}'"))
    assert not any(c in text for c in UNSHOWABLE), ascii(text)
    assert ("'隨時\\u001B\\u0007\\u0085\\u2028\\u2029\\u202E\\u2066"
            "\\u200F\\uD800\\uFDD0\\u10FFFF\\u007F") in text
    assert str(Problem("計畫　一.md", 1, "a zero-width joiner 👩\u200d💻 stays")) == \
        "計畫　一.md:1: a zero-width joiner 👩\u200d💻 stays"


def test_flags_are_echoed_escaped(tmp_path: Path, capsys) -> None:
    project = project_with(tmp_path, {"control-characters.zh-Hant.md":
                                      (HOSTILE / "control-characters.zh-Hant.md").read_bytes()})
    status, errors = build(project, capsys, "--no-downloads", "--output", str(project / "out\x1b[31m\u202e"))
    assert status == 1
    assert errors.endswith("; out\\u001B[31m\\u202E was not changed.\n"), errors
    project = copy_project(tmp_path / "translated")
    plan = next(p.name.split(".")[0] for p in (project / "content" / "plans").glob("*.en.md"))
    status, errors = build(project, capsys, "reviewed", plan, "x\x1b[31m")
    assert status == 1
    assert "'x\\u001B[31m'" in errors and "\x1b" not in errors, errors
