"""Every interface string in the templates and code is in both catalogs, translated."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from plansite.errors import ContentError
from plansite.i18n import catalog, catalog_problems, fill_faults
from plansite.render_html import environment
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
    """Give ``msgid`` another translation in the Chinese catalog; the line of its msgstr."""
    path = project / "locales" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index(f'msgid "{msgid}"') + 1
    if lines[at].startswith("msgid_plural "):  # Chinese has one form
        at += 1
        assert lines[at].startswith("msgstr[0] ")
        lines[at] = f'msgstr[0] "{msgstr}"'
    else:
        assert lines[at].startswith("msgstr ")
        lines[at] = f'msgstr "{msgstr}"'
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


def refused(project: Path) -> str:
    """The first line a build prints when it refuses the project (no traceback, no site)."""
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project),
                             "--no-downloads"], capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (project / "site").exists()
    return result.stderr.splitlines()[0]


CATALOG = "locales/zh_Hant_TW/LC_MESSAGES/messages.po"


NONE = " — its English has no placeholder: remove it (write %% for a percent sign)"


@pytest.mark.parametrize(("msgid", "msgstr", "why"), [
    ("Back to top", "回到頁首 100%", "the '%' in '頁首 100%' stands alone — write %% for a percent sign"),
    ("No.", "項次 %s", f"'%s' names no value{NONE}"),
    ("No.", "項次 %ls", f"'%ls' names no value{NONE}"),  # a length letter Python ignores: it showed '{}'
    ("%(start)s to %(end)s", "%(start)s至%(edn)s",
     ("no English string has '%(edn)s' — use only the placeholders its English has, as it writes them: "
      "%(end)s, %(start)s")),
    # written otherwise than the English: Python's repr of the value, 1.000000e+00, a page of 120 MB
    ("By %(date)s", "%(date)d前", "'%(date)d' is not written as the English writes it — write %(date)s"),
    ("By %(date)s", "%(date)a前", "'%(date)a' is not written as the English writes it — write %(date)s"),
    ("By %(date)s", "%(date)20000000s前", ("'%(date)20000000s' is not written as the English writes it — "
                                          "write %(date)s")),
    ("%(num)d action", "%(num)s 項作法", "'%(num)s' is not written as the English writes it — write %(num)d"),
])
def test_a_translation_that_cannot_be_filled_in_is_an_error_at_its_line(tmp_path: Path, msgid: str,
                                                                       msgstr: str, why: str) -> None:
    """At the msgstr line, with the fix: a lone % is shown where it stands (Python's own words
    showed '?' for the character after it, and its index), a value is named from the English."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    line = with_translation(project, msgid, msgstr)
    assert refused(project) == f"{CATALOG}:{line}: the translation of '{msgid}' cannot be filled in: {why}"


def test_a_translation_over_several_lines_is_faulted_at_the_line_at_fault(tmp_path: Path) -> None:
    """A long translation is written msgstr "" and then a string a line; the mistake is told at
    the line holding it, not at the entry's msgid."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    line = with_translation(project, "Back to top", "")
    path = project / CATALOG
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1:line] = ['msgstr ""', '"回到"', '"頁首，"', '"共 100% 。"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert refused(project).startswith(f"{CATALOG}:{line + 3}: the translation of 'Back to top' cannot be "
                                       "filled in: the '%' in '，共 100% ' stands alone")


@pytest.mark.parametrize(("msgid", "msgstr", "why"), [
    ("Back to top", "回到頁首%(year)s", ("this page gives no value 'year' — its English has no placeholder: "
     "remove it (write %% for a percent sign)")),  # another string's value
    ("By %(date)s", "%(year)s前", ("this page gives no value 'year' — use only the placeholders its English "
     "has, as it writes them: %(date)s")),
    # the line of a translation with characters a page escapes, and of a count's (its count put in first)
    ("Back to top", "回到'頁首'%(year)s", ("this page gives no value 'year' — its English has no "
                                          "placeholder: remove it (write %% for a percent sign)")),
    ("%(num)d action", "%(num)d 項作法%(date)s", ("this page gives no value 'date' — use only the "
                                                 "placeholders its English has, as it writes them: %(num)d")),
])
def test_a_translation_a_page_cannot_fill_in_is_an_error_at_its_line(tmp_path: Path, msgid: str,
                                                                     msgstr: str, why: str) -> None:
    """What the catalog alone cannot tell: a value the English strings have but this page does
    not give, a conversion the value does not suit. It was a traceback. The fix names the
    placeholders the English has."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    line = with_translation(project, msgid, msgstr)
    assert refused(project) == f"{CATALOG}:{line}: the translation of '{msgid}' cannot be filled in: {why}"



def refusals(project: Path, downloads: bool = False) -> list[str]:
    """Every line a build prints when it refuses the project (no traceback, no site)."""
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project),
                             *([] if downloads else ["--no-downloads"])],
                            capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (project / "site").exists()
    return result.stderr.splitlines()


def test_every_translation_the_pages_cannot_fill_in_is_told_in_one_build(tmp_path: Path) -> None:
    """A build stopped at the first page that met one: a translator saw one mistake a build,
    here three (on every page, on the plan pages, on the glossary page alone)."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    lines = [with_translation(project, "Back to top", "回到頁首%(date)s"),
             with_translation(project, "By %(date)s", "%(year)s前"),
             with_translation(project, "Chinese and English terms", "中英詞彙%(year)s")]
    said = refusals(project)
    assert [line.split(": ")[0] for line in said[:-1]] == [f"{CATALOG}:{line}" for line in sorted(lines)]
    assert said[-1] == "3 problems found; site was not changed."


def test_the_data_pages_faults_are_told_with_the_others(tmp_path: Path) -> None:
    """The data page is made last, by the build itself: it was not made once another page had
    failed, so its faults came a build later."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    lines = [with_translation(project, "Meaning", "說明%(date)s"),
             with_translation(project, "Actions per measure: %(framework)s", "各措施作法數%(date)s")]
    said = refusals(project)
    assert [line.split(": ")[0] for line in said[:-1]] == [f"{CATALOG}:{line}" for line in sorted(lines)]


def test_a_fault_every_plan_meets_is_told_once(tmp_path: Path) -> None:
    """Completing each English plan met the same English translation and told it once a plan."""
    project = copy_project(tmp_path / "project")
    path = project / "locales" / "en" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    entry = 'msgid "Ongoing"\nmsgstr "Ongoing'
    path.write_text(text.replace(entry + '"', entry + ' %(date)s"'), encoding="utf-8")
    said = refusals(project)
    assert len(said) == 2 and "the translation of 'Ongoing' cannot be filled in" in said[0], said


def test_faults_are_kept_per_thread(tmp_path: Path) -> None:
    """The preview renders a quick update in one thread while a build renders in another: the
    quick update's faults went into the build's task's list, so it put the English in and
    wrote the pages into the live site. A thread outside a task still raises at once."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    with_translation(project, "Back to top", "回到頁首%(date)s")
    strings = catalog(project, "zh-Hant-TW")
    inside, done = threading.Event(), threading.Event()
    outcome: list[object] = []

    def task() -> None:
        try:
            with fill_faults():
                inside.set()
                done.wait(10)
        except ContentError as error:
            outcome.append(error)

    thread = threading.Thread(target=task)
    thread.start()
    assert inside.wait(10)
    with pytest.raises(ContentError, match="'Back to top' cannot be filled in"):
        strings.text("Back to top")
    done.set()
    thread.join(10)
    assert outcome == []  # the other thread's task met nothing


def test_a_catalog_written_with_its_time_put_back_is_read_again(tmp_path: Path) -> None:
    """The template environment was kept by the catalog's modification time alone: a catalog
    saved twice in one tick of a coarse clock, or put back with touch -r, kept the old
    translations, and the preview recorded a build a clean one would refuse."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    before = path.stat()
    assert str(environment(project, "zh-Hant-TW").globals["gettext"]("Back to top")) == "回到頁首"
    with_translation(project, "Back to top", "返回頁首")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert str(environment(project, "zh-Hant-TW").globals["gettext"]("Back to top")) == "返回頁首"


def test_every_translation_a_document_cannot_fill_in_is_told_in_one_build(tmp_path: Path) -> None:
    """The same in the ODT and the PDF, whose strings the pages do not show."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    qr = "QR code linking to this plan on the web: %(url)s"
    lines = [with_translation(project, qr, "%(year)s %(url)s"),
             with_translation(project, "ROC %(year)s (%(ad)s)", "民國%(year)s年%(date)s")]
    said = refusals(project, downloads=True)
    assert [line.split(": ")[0] for line in said[:-1]] == [f"{CATALOG}:{line}" for line in sorted(lines)]


ENTRY = ' — write each entry as msgid "…" then msgstr "…", as the others are (a " inside is written \\")'


@pytest.mark.parametrize(("damage", "line", "why"), [
    (lambda text: text + "\nthis is no entry\n", -1, f"the line is no part of an entry{ENTRY}"),
    (lambda text: text.replace('msgstr "回到頁首"', "msgstr 回到頁首"), "msgstr 回到頁首",
     f"the line is no part of an entry{ENTRY}"),  # Babel read it as 到頁
    (lambda text: text.replace('msgstr "回到頁首"', 'msgstr "回到頁首'), 'msgstr "回到頁首',
     f"the line is no part of an entry{ENTRY}"),
    (lambda text: text.replace('msgstr "回到頁首"', 'msgstr "回"到頁首"'), 'msgstr "回"到頁首"',
     f"the line is no part of an entry{ENTRY}"),
    (lambda text: text.replace('msgstr "回到頁首"', 'msgstr "回\udcff"'), 'msgstr "回\udcff"',
     "the catalog is not UTF-8 text — save it as UTF-8 (in most editors: Save as… › Encoding), not Big5"),
    (lambda text: text.replace('msgstr[0] "%(num)d 項作法"',
                               'msgstr[0] "%(num)d 項作法"\nmsgstr[1] "%(num)d 項"'),
     'msgstr[1] "%(num)d 項"',  # Babel names the entry's first line
     ("it gives more plural forms than the language has (Chinese has one, msgstr[0]; English two) — delete "
     "that line")),
])
def test_a_catalog_that_cannot_be_read_is_an_error_at_its_line(tmp_path: Path, damage, line, why) -> None:
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    text = damage(path.read_text(encoding="utf-8"))
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    lines = text.splitlines()
    number = len(lines) if line == -1 else lines.index(line) + 1
    assert refused(project) == f"{CATALOG}:{number}: the catalog cannot be read: {why}"


def test_a_missing_chinese_catalog_is_an_error(tmp_path: Path) -> None:
    """The Chinese pages would show the interface in English."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    (project / CATALOG).unlink()
    assert refused(project).startswith(f"{CATALOG}:1: the catalog is missing (or is not a file)")


def test_a_catalog_with_a_byte_order_mark_or_lone_cr_line_ends_reads(tmp_path: Path) -> None:
    """As plans do: an editor's BOM was refused, and CR line ends made the whole catalog one
    comment, so the Chinese pages showed the interface in English without a word."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r"))
    assert catalog_problems(project) == []
    build(project, project / "site", downloads=False)
    assert "回到頁首" in (project / "site" / "plans" / "ntbt-2016" / "index.html").read_text(encoding="utf-8")


def test_a_plural_left_empty_falls_back_to_english_not_to_nothing(tmp_path: Path) -> None:
    """An empty msgstr[0] (as ./setup catalogs leaves a new plural) was taken as a translation
    and every count on the Chinese pages said nothing."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    text = path.read_text(encoding="utf-8")
    at = text.index('msgid "%(num)d action"')
    end = text.index("\n\n", at)
    entry = text[at:end]
    path.write_text(text[:at] + entry.split("msgstr[0]")[0] + 'msgstr[0] ""' + text[end:], encoding="utf-8")
    build(project, project / "site", downloads=False)
    page = (project / "site" / "plans" / "ntbt-2016" / "index.html").read_text(encoding="utf-8")
    assert '<span class="ps-summary__count"></span>' not in page and " actions</span>" in page


def test_percent_signs_in_strings_made_in_python_are_one_too(tmp_path: Path) -> None:
    """The English deadline kinds (pages, CSV, JSON), the CSV columns' meanings and the ODT's
    words are filled in as _() fills in: 'Ongoing (100%%)' showed '%%' 911 times."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / "locales" / "en" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    assert 'msgid "Ongoing"\nmsgstr "Ongoing"' in text
    path.write_text(text.replace('msgid "Ongoing"\nmsgstr "Ongoing"',
                                 'msgid "Ongoing"\nmsgstr "Ongoing (100%%)"'), encoding="utf-8")
    with_translation(project, "the plan's id", "計畫代號（100%%）")
    build(project, project / "site", downloads=False)
    site = project / "site"
    english = site / "en" / "plans" / "ntbt-2016" / "index.html"
    for shown in (english, site / "data" / "plans" / "ntbt-2016.en.csv",
                  site / "data" / "plans" / "ntbt-2016.en.json", site / "data" / "index.html"):
        assert "%%" not in shown.read_text(encoding="utf-8"), shown.name
    assert "Ongoing (100%)" in english.read_text(encoding="utf-8")
    assert "計畫代號（100%）" in (site / "data" / "index.html").read_text(encoding="utf-8")


def test_the_projects_catalogs_can_all_be_filled_in() -> None:
    assert catalog_problems(PROJECT) == []


def test_an_entry_given_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    """Babel kept one of the two, silently: the translator could not tell which shows."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '\nmsgid "Back to top"\nmsgstr "回頂端"\n', encoding="utf-8")
    first = text.splitlines().index('msgid "Back to top"') + 1
    last = len(text.splitlines()) + 2
    assert refused(project) == (f'{CATALOG}:{last}: the catalog cannot be read: the entry "Back to top" is '
                                f"given twice (first at line {first}) — delete one of them")


@pytest.mark.parametrize(("edit", "why", "fix"), [
    (lambda text: text.replace('msgid "Back to top"', '#, fuzzy\nmsgid "Back to top"'),
     "the translation of 'Back to top' is marked fuzzy (not checked yet): the pages show the English",
     "check it, then delete the '#, fuzzy' line above it"),
    (lambda text: text.replace('msgid "Back to top"', 'msgctxt "page"\nmsgid "Back to top"'),
     ("the entry for 'Back to top' has a context (msgctxt \"page\"), which no page asks for: the pages show "
     "the English"), "delete its msgctxt line"),
])
def test_an_entry_the_pages_do_not_use_is_a_warning(tmp_path: Path, edit, why: str, fix: str) -> None:
    """A translation marked fuzzy, or given a context no page asks for, is not used: the
    Chinese pages showed that string in English with no word said. A warning, which --strict
    refuses."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    text = edit(path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('msgid "Back to top"') + 1
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(project), "--no-downloads"]
    built = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0 and f"{CATALOG}:{line}: warning: {why} — {fix}" in built.stderr
    strict = subprocess.run([*command, "--strict"], capture_output=True, text=True, check=False, timeout=300)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr


def test_a_placeholder_the_english_writes_with_two_percent_signs_is_told_so(tmp_path: Path) -> None:
    """The search page fills in %%(query)s itself; a translator writing %(query)s was told no
    English string has it, and nothing of how the English writes it."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / CATALOG
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index('msgstr[0] "找到 %%(count)s 個網頁含有「%%(query)s」。"')
    lines[at] = 'msgstr[0] "找到 %%(count)s 個網頁含有「%(query)s」。"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert refused(project).endswith("cannot be filled in: no English string has '%(query)s' — write "
                                     "%%(query)… as its English does: the page fills it in itself")
    assert refused(project).startswith(f"{CATALOG}:{at + 1}:")


def test_a_fault_met_once_is_met_again_in_the_same_process(tmp_path: Path) -> None:
    """Inside a task a fault is kept and the English put in its place, so the task goes on; the
    environment keeps labels (and macros' output) for reuse. Kept with the English in it, a
    later build in the same process (the preview's) published it without meeting the fault."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    with_translation(project, "No.", "項次%(year)s")  # the action tables' label, made with the environment
    for _ in range(2):
        with pytest.raises(ContentError, match="the translation of 'No.' cannot be filled in"), fill_faults():
            environment(project, "zh-Hant-TW")
