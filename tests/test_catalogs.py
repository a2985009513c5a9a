"""Every interface string in the templates and code is in both catalogs, translated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from plansite.i18n import catalog_problems
from plansite.site import build

from .conftest import PROJECT, copy_project


def extracted() -> set[str]:
    method_map = [("plansite/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(PROJECT, method_map, options)
    }


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_catalog_translates_every_string(locale: str) -> None:
    path = PROJECT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    strings = extracted()
    assert len(strings) > 30
    missing = sorted(s for s in strings if s not in catalog)
    assert missing == [], "run ./setup catalogs and translate the new entries (README, 'Interface strings')"
    untranslated = sorted(m.id for m in catalog if m.id and (not m.string or m.fuzzy))
    assert untranslated == []


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_catalog_says_each_string_once(locale: str) -> None:
    """A string twice in a catalog is read with its last translation: "Every year" was both the
    search's 所有年度 and the deadline kind 每年辦理, and the search showed 每年辦理."""
    path = PROJECT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    ids = [(lines[i - 1] if i and lines[i - 1].startswith("msgctxt") else "", line)
           for i, line in enumerate(lines) if line.startswith("msgid ") and line != 'msgid ""']
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def with_translation(project: Path, msgid: str, msgstr: str) -> int:
    """Give ``msgid`` another translation in the Chinese catalog; the line of its msgid."""
    path = project / "locales" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index(f'msgid "{msgid}"')
    assert lines[at + 1].startswith("msgstr ")
    lines[at + 1] = f'msgstr "{msgstr}"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def test_a_percent_sign_in_a_translation_is_one_wherever_the_string_shows(tmp_path: Path) -> None:
    """Every interface string is filled in as Python's % does, in templates and in the parts of
    pages made in Python alike, so a translator's %% is one percent sign everywhere."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    with_translation(project, "No.", "項次%%")
    with_translation(project, "Back to top", "回到頁首 100%%")
    build(project, project / "site", downloads=False)
    page = (project / "site" / "plans" / "ntbt-2016" / "index.html").read_text(encoding="utf-8")
    assert '<th scope="col" class="ps-action-table__num">項次%</th>' in page
    assert "回到頁首 100%<" in page and "%%" not in page


@pytest.mark.parametrize(("msgid", "msgstr", "why"), [
    ("Back to top", "回到頁首 100%", "a lone '%'"),
    ("No.", "項次 %s", "'%s' names no value"),
    ("%(start)s to %(end)s", "%(start)s至%(edn)s", "no English string has '%(edn)s'"),
])
def test_a_translation_that_cannot_be_filled_in_is_an_error_at_its_line(tmp_path: Path, msgid: str,
                                                                       msgstr: str, why: str) -> None:
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    line = with_translation(project, msgid, msgstr)
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project),
                             "--no-downloads"], capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        f"locales/zh_Hant_TW/LC_MESSAGES/messages.po:{line}: the translation of '{msgid}' cannot be "
        f"filled in: {why}" + (" (incomplete format)" if "lone" in why else "")
        + " — write %% for a percent sign, and only the placeholders the English has, such as %(year)s")
    assert not (project / "site").exists()


def test_a_catalog_line_of_no_entry_is_an_error_at_its_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / "locales" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, "", "this is no entry"]) + "\n", encoding="utf-8")
    problems = catalog_problems(project)
    assert [(p.path, p.line) for p in problems] == [("locales/zh_Hant_TW/LC_MESSAGES/messages.po",
                                                     len(lines) + 2)]
    assert problems[0].message == "the catalog cannot be read: Unknown or misformatted keyword"


def test_the_projects_catalogs_can_all_be_filled_in() -> None:
    assert catalog_problems(PROJECT) == []
