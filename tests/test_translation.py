"""The English edition: structure alignment, stale translations from edit to notice to review,
the glossary, untranslated plans, language-switch links, and dates and deadlines in English."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from lxml import html

from plansite import model as m
from plansite.content import read_plan_file
from plansite.dates import parse_deadline
from plansite.errors import ContentError
from plansite.render_html import english_date
from plansite.site import build
from plansite.sources import load
from plansite.translation import deadline_words, glossary_misses, longest_first, with_fingerprint

from .conftest import PROJECT, copy_project
from .test_format_doc import example

ENGLISH = """---
id: example-tax-2024
lang: en
title: Example City Tax Bureau 2024 Service Quality Improvement Action Plan
basis:
  - authority: Executive Yuan
    title: Government Service Upgrade Program
  - authority: Ministry of Finance
    title: Annual review of tax collection agencies
tables:
  main:
    groups: [Implementation item, Implementation item]
    action: Measures
    deadline: Deadline
    units: Responsible units
---

# I. Basis of the plan {#basis}

Under the Government Service Upgrade Program issued by the Executive Yuan.

# II. Goals of the plan

- 1. Keep providing services the public is satisfied with.
- 2. Make government information transparent:
  - (1) Provide friendly online services.
  - (2) Ensure the public's right to know.

# III. Implementation plan

::: actions main

## I. Complete basic services {#basic-service}

### 1. Provide a suitable, friendly service environment

- 1. Greening of the office building, beautification and cleaning of service areas.
  Responsible units: all units

- 2. Provide bilingual signs for foreign visitors. {#bilingual-signs}
  Responsible units: Taxpayer Service Section; Administration Section

## II. Use several strategies

- 1. **Online applications**

  Connect to MyData online identity verification to provide:

  1. applications at the counter without documents;
  2. online tax enquiries and payment.

  Responsible units: Taxpayer Service Section

:::

# IV. Monitoring and evaluation

The plan is reviewed every six months〔Editor's note: illegible in the original〕.
"""


@pytest.fixture
def bilingual(tmp_path: Path) -> Path:
    """A project with the documented example in Chinese and English."""
    project = copy_project(tmp_path / "project", plans=[])
    plans = project / "content" / "plans"
    (plans / "example-tax-2024.zh-Hant.md").write_text(example(), encoding="utf-8")
    (plans / "example-tax-2024.en.md").write_text(ENGLISH, encoding="utf-8")
    return project


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project), *args],
                          check=False, capture_output=True, text=True, timeout=120)


def english_file(project: Path) -> Path:
    return project / "content" / "plans" / "example-tax-2024.en.md"


def test_english_example_reads_and_lines_up(bilingual: Path) -> None:
    loaded = load(bilingual)
    (edition,) = loaded.editions
    assert edition.en is not None
    assert [i.id for i in m.items(edition.en)] == [i.id for i in m.items(edition.zh)]
    # metadata comes from the Chinese file, deadlines are worded in English
    assert edition.en.agency.en == "Example City Tax Bureau" and edition.en.year == 113
    assert [a.deadline.text for _, a in edition.en.actions()] == ["Ongoing", "May 1\u2009–\u200931, 2016",
                                                                   "By December 2024"]
    assert [a.units for _, a in edition.en.actions()][1] == ("Taxpayer Service Section",
                                                             "Administration Section")
    assert edition.en.basis[0].date == date(2017, 1, 9)  # from the Chinese entry
    # nothing reviewed yet: every item is stale, and each is a warning at its English line
    assert {s.state for s in edition.status.values()} == {"stale"}
    assert len(loaded.warnings) == len(edition.status)


def test_structure_mismatch_is_an_error_at_its_line(bilingual: Path) -> None:
    text = ENGLISH.replace("""- 2. Provide bilingual signs for foreign visitors. {#bilingual-signs}
  Responsible units: Taxpayer Service Section; Administration Section
""", "").replace("# IV. Monitoring and evaluation",
                "# IV. Monitoring and evaluation\n\nText.\n\n# V. An extra section")
    english_file(bilingual).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load(bilingual)
    messages = [str(p) for p in caught.value.problems]
    lines = text.splitlines()
    extra = lines.index("# V. An extra section") + 1
    near = lines.index("- 1. Greening of the office building, beautification and cleaning of service "
                       "areas.") + 1
    assert messages == [
        (f"content/plans/example-tax-2024.en.md:{near}: the Chinese action 'bilingual-signs' "
        "(content/plans/example-tax-2024.zh-Hant.md:53) has no English translation here — "
        "translate it at the same place"),
        (f"content/plans/example-tax-2024.en.md:{extra}: the section 's5' is not in the Chinese plan — "
        "the English must have the Chinese structure; compare with "
        "content/plans/example-tax-2024.zh-Hant.md"),
    ]


def test_english_units_that_do_not_line_up_are_an_error_at_their_line(bilingual: Path) -> None:
    """The English units stand one for one for the Chinese ones (the summary and the units pages
    name each Chinese unit by its English twin): 'A, B' written with a comma, or a unit left out,
    made the English summary fall back to the Chinese name, with no word to the translator."""
    text = ENGLISH.replace("Responsible units: Taxpayer Service Section; Administration Section",
                           "Responsible units: Taxpayer Service Section, Administration Section")
    english_file(bilingual).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load(bilingual)
    line = text.splitlines().index("  Responsible units: Taxpayer Service Section, Administration "
                                   "Section") + 1
    assert [str(p) for p in caught.value.problems] == [
        (f"content/plans/example-tax-2024.en.md:{line - 1}: the action 'bilingual-signs' names 1 "
         "responsible unit in English and 2 in Chinese (content/plans/example-tax-2024.zh-Hant.md:53) — "
         "translate each unit, in the same order, separated by ';'")]


def test_english_metadata_that_belongs_to_the_chinese_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "example-tax-2024.en.md"
    path.write_text(ENGLISH.replace("lang: en\n", "lang: en\nyear: 113\n"), encoding="utf-8")
    _, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == [
        ("example-tax-2024.en.md:4: 'year' does not belong here — remove it: an English file takes the "
        "agency, year, dates, classification and framework from the Chinese file")]


def test_english_deadlines_are_not_written_except_notes(tmp_path: Path) -> None:
    path = tmp_path / "example-tax-2024.en.md"
    path.write_text(ENGLISH.replace("  Responsible units: all units\n",
                                    "  Deadline: Ongoing\n  Responsible units: all units\n"),
                    encoding="utf-8")
    _, problems = read_plan_file(path, path.name)
    assert [p.message for p in problems] == [
        "English files give no deadlines (the English page states the Chinese one)"]


def page(site: Path, *parts: str):
    return html.fromstring(site.joinpath(*parts).read_bytes(), parser=html.HTMLParser(encoding="utf-8"))


def stale_notices(site: Path) -> dict[str, str]:
    doc = page(site, "en", "plans", "example-tax-2024", "index.html")
    notices = {}
    for notice in doc.find_class("ps-stale"):
        owner = next((a for a in notice.iterancestors() if a.get("id")), None)
        heading = notice.getprevious()
        key = heading.get("id") if heading is not None and heading.get("id") else owner.get("id")
        notices[key] = notice.find("a").get("href")
    return notices


def test_edit_in_chinese_makes_english_stale_until_reviewed(bilingual: Path) -> None:
    assert "marked 10 items as reviewed" in cli(bilingual, "reviewed", "example-tax-2024", "--all").stdout
    result = cli(bilingual)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert stale_notices(bilingual / "site") == {}

    chinese = bilingual / "content" / "plans" / "example-tax-2024.zh-Hant.md"
    chinese.write_text(chinese.read_text(encoding="utf-8").replace("提供雙語標語洽公環境",
                                                                   "提供雙語及英語標語洽公環境"),
                       encoding="utf-8")
    result = cli(bilingual)
    assert result.returncode == 0
    line = ENGLISH.splitlines().index(
        "- 2. Provide bilingual signs for foreign visitors. {#bilingual-signs}") + 1
    assert result.stderr.splitlines() == [
        (f"content/plans/example-tax-2024.en.md:{line}: warning: the English action 'bilingual-signs' was "
        "reviewed against an older Chinese text (content/plans/example-tax-2024.zh-Hant.md:53 changed) — "
        "update it, then run: python build.py reviewed example-tax-2024 bilingual-signs")]
    assert stale_notices(bilingual / "site") == {
        "bilingual-signs": "../../../plans/example-tax-2024/index.html#bilingual-signs"}
    status = cli(bilingual, "status").stdout.splitlines()
    assert status[2].split() == ["example-tax-2024", "9", "1", "0"]

    strict = cli(bilingual, "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[-1] == "1 problem found; site was not changed."
    assert stale_notices(bilingual / "site") == {
        "bilingual-signs": "../../../plans/example-tax-2024/index.html#"
                                                                    "bilingual-signs"}

    reviewed = cli(bilingual, "reviewed", "example-tax-2024", "bilingual-signs")
    assert reviewed.stdout.strip() == ("content/plans/example-tax-2024.en.md: marked 1 item as reviewed: "
                                       "bilingual-signs")
    assert "{#bilingual-signs src=" in english_file(bilingual).read_text(encoding="utf-8")
    result = cli(bilingual, "--strict")
    assert result.returncode == 0 and result.stderr == ""
    assert stale_notices(bilingual / "site") == {}


def test_reviewing_a_section_marks_everything_in_it(bilingual: Path) -> None:
    result = cli(bilingual, "reviewed", "example-tax-2024", "s3")
    assert result.stdout.strip().endswith(
        "marked 6 items as reviewed: s3, basic-service, main-1-1, main-1-1-a1, bilingual-signs, main-2, "
        "main-2-a1"
        .replace("6 items", "7 items"))
    unknown = cli(bilingual, "reviewed", "example-tax-2024", "no-such-id")
    assert unknown.returncode == 1 and "there is no section, group or action 'no-such-id'" in unknown.stderr


def test_reviewed_changes_only_the_marks_of_the_users_file(bilingual: Path) -> None:
    """``reviewed`` edits a file the user wrote: it keeps its line endings, its permissions and
    its link, writes it whole (a full disk must not cut a plan short), writes nothing when
    nothing changes, and refuses a file its owner made read-only, with one line."""
    english = english_file(bilingual)
    original = english.read_bytes()
    english.unlink()
    stored = english.with_name("example-tax-2024.en.txt")  # a name that is not a plan's
    stored.write_bytes(original.replace(b"\n", b"\r\n"))
    stored.chmod(0o640)
    english.symlink_to(stored.name)

    stored.chmod(0o440)
    refused = cli(bilingual, "reviewed", "example-tax-2024", "--all")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.startswith("content/plans/example-tax-2024.en.txt: "), refused.stderr
    assert stored.read_bytes() == original.replace(b"\n", b"\r\n")

    stored.chmod(0o640)
    assert cli(bilingual, "reviewed", "example-tax-2024", "--all").returncode == 0
    assert english.is_symlink() and stored.stat().st_mode & 0o777 == 0o640
    marked = stored.read_bytes()
    assert b"src=" in marked and marked.count(b"\r\n") == original.count(b"\n") and b"\r\r" not in marked
    assert marked.replace(b"\r\n", b"\n").count(b"\n") == original.count(b"\n")
    modified = stored.stat().st_mtime_ns
    again = cli(bilingual, "reviewed", "example-tax-2024", "--all")
    assert "(all were up to date)" in again.stdout and stored.stat().st_mtime_ns == modified
    assert cli(bilingual, "--strict").returncode == 0


def test_glossary_misses_are_warnings_at_the_english_line(bilingual: Path) -> None:
    cli(bilingual, "reviewed", "example-tax-2024", "--all")
    text = english_file(bilingual).read_text(encoding="utf-8")
    english_file(bilingual).write_text(text.replace("Responsible units: Taxpayer Service Section\n",
                                                    "Responsible units: Taxpayer Services\n"),
                                       encoding="utf-8")
    result = cli(bilingual)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("- 1. **Online applications**"))
    assert result.stderr.splitlines() == [
        (f"content/plans/example-tax-2024.en.md:{line}: warning: the Chinese text uses '納稅服務科', but the "
        "English does not say 'Taxpayer Service Section' — use the glossary's term (content/glossary.yml:"
        f"{glossary_line('納稅服務科')})")]


def test_a_measure_named_otherwise_than_the_glossary_is_a_warning_at_its_line(bilingual: Path) -> None:
    """The page "Plans by measure" names a measure as content/frameworks.yml does and each plan's
    group as the plan does: the glossary holds the measures, so both must say the same."""
    cli(bilingual, "reviewed", "example-tax-2024", "--all")
    frameworks = bilingual / "content" / "frameworks.yml"
    text = frameworks.read_text(encoding="utf-8")
    old = "en: 2. Value feedback and participation throughout, so that services meet the public's needs"
    frameworks.write_text(text.replace(old, "en: 2. Value feedback and participation at every stage"),
                          encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.endswith('id: "2"'))
    measure = "重視全程意見回饋及參與，力求服務切合民眾需求"
    result = cli(bilingual)
    assert result.returncode == 0 and result.stderr.splitlines() == [
        (f"content/frameworks.yml:{line}: warning: measure '2' of 'service-upgrade' uses '{measure}' in "
         "Chinese, but its English name does not say 'Value feedback and participation throughout, so "
         f"that services meet the public's needs' — use the glossary's term (content/glossary.yml:"
         f"{glossary_line(measure)})")]
    assert cli(bilingual, "--strict").returncode != 0


def glossary_line(term: str) -> int:
    lines = (PROJECT / "content" / "glossary.yml").read_text(encoding="utf-8").splitlines()
    return lines.index(f"- zh: {term}") + 1


def test_glossary_prefers_the_longest_term() -> None:
    terms = (m.Term(("服務科",), "Service Section", None, m.Location("g", 1)),
             m.Term(("納稅服務科",), "Taxpayer Service Section", None, m.Location("g", 2)))
    terms = longest_first(terms)
    # 納稅服務科 is one term, not also 服務科
    assert glossary_misses("納稅服務科", "the Taxpayer Service Section", terms) == []
    assert [v for v, _ in glossary_misses("納稅服務科", "the taxpayer counter", terms)] == ["納稅服務科"]
    assert [v for v, _ in glossary_misses("服務科", "the counters", terms)] == ["服務科"]
    assert glossary_misses("服務科", "The service section", terms) == []  # case does not matter


def test_untranslated_plan_gets_an_english_page_in_chinese_without_alternates(bilingual: Path) -> None:
    english_file(bilingual).unlink()
    result = cli(bilingual)
    assert result.returncode == 0
    assert "content/plans/example-tax-2024.zh-Hant.md:1: warning: the plan 'example-tax-2024' has no " \
           "English translation" in result.stderr
    site = bilingual / "site"
    doc = page(site, "en", "plans", "example-tax-2024", "index.html")
    assert doc.get("lang") == "en"
    assert doc.find_class("ps-notice")
    assert doc.find(".//h1").get("lang") == "zh-Hant-TW"
    assert doc.find_class("ps-plan__body")[0].get("lang") == "zh-Hant-TW"
    assert unmarked_chinese(doc) == []  # its details too (the basis), not only its body
    assert doc.findall(".//link[@rel='alternate'][@hreflang]") == []
    assert not (site / "data" / "plans" / "example-tax-2024.en.json").exists()
    chinese = page(site, "plans", "example-tax-2024", "index.html")
    assert chinese.findall(".//link[@rel='alternate'][@hreflang]") == []
    assert result.returncode == 0 and cli(bilingual, "--strict").returncode == 1


def test_every_page_links_to_its_counterpart(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build(project, project / "site")
    site = project / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 14
    for path in pages:
        relative = path.relative_to(site).as_posix()
        english = relative.startswith("en/")
        counterpart = relative.removeprefix("en/") if english else f"en/{relative}"
        doc = page(site, relative)
        switch = [a for a in doc.iter("a") if "ps-nav__language" in (a.get("class") or "")]
        assert len(switch) == 1, relative
        link = switch[0]
        href = link.get("href")
        # 404 pages link from the root
        target = site / href.lstrip("/") if href.startswith("/") else path.parent / href
        assert target.resolve() == (site / counterpart).resolve(), relative
        assert link.get("lang") == ("zh-Hant-TW" if english else "en")
        alternates = {a.get("hreflang"): a.get("href")
                      for a in doc.findall(".//link[@rel='alternate'][@hreflang]")}
        if alternates:
            assert link.get("hreflang") == link.get("lang")
            def url(path: str) -> str:
                return "https://plans.example.org/" + path.removesuffix("index.html")

            assert alternates == {"en": url(relative if english else counterpart),
                                  "zh-Hant-TW": url(counterpart if english else relative)}


def test_english_json_is_published_for_translated_plans(bilingual: Path) -> None:
    build(bilingual, bilingual / "site")
    data = json.loads((bilingual / "site" / "data" / "plans" / "example-tax-2024.en.json").read_text())
    assert data["lang"] == "en" and data["agency"]["en"] == "Example City Tax Bureau"
    assert data["actions"][1]["deadline"] == {"text": "May 1\u2009–\u200931, 2016", "kind": "range",
                                              "start": "2016-05-01", "end": "2016-05-31", "every": None}
    assert data["actions"][0]["groups"] == ["I. Complete basic services",
                                            "1. Provide a suitable, friendly service environment"]
    assert data["actions"][0]["group_ids"] == ["basic-service", "main-1-1"]


@pytest.mark.parametrize(("text", "english"), [
    ("隨時辦理", "Ongoing"), ("依需要辦理", "As needed"), ("每月辦理", "Monthly"), ("每日辦理", "Daily"),
    ("107年12月", "By December 2018"), ("106年12月31日", "By December 31, 2017"),
    ("105.5.1~105.5.31", "May 1\u2009–\u200931, 2016"), ("105.5.1~105.6.13",
                                                         "May 1\u2009–\u2009Jun 13, 2016"),
])
def test_deadlines_in_english(text: str, english: str) -> None:
    assert deadline_words(PROJECT)(parse_deadline(text)) == english


def test_dates_in_both_languages() -> None:
    from plansite.dates import roc_date

    assert english_date(date(2023, 5, 1)) == "May 1, 2023"
    assert roc_date(date(2023, 5, 1)) == "112年5月1日"


def test_chinese_text_on_english_pages_carries_its_language(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build(project, project / "site")
    for path in sorted((project / "site" / "en").rglob("*.html")):
        assert unmarked_chinese(page(path.parent, path.name)) == [], path


def unmarked_chinese(doc) -> list[str]:
    """The Chinese texts in the body of an English page that no ``lang="zh-Hant-TW"`` marks as
    Chinese (the head's title is text only: it cannot mark a part)."""
    cjk = __import__("re").compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # Chinese characters
    found = []
    for element in doc.find(".//body").iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            if text and cjk.search(text) and owner is not None:
                lang = next((a.get("lang") for a in owner.iterancestors() if a.get("lang")), None)
                if (owner.get("lang") or lang) != "zh-Hant-TW":
                    found.append(text.strip()[:40])
    return found


def test_marking_a_line_again_changes_only_its_fingerprint() -> None:
    """``reviewed`` rewrites the mark at a line's end and nothing else: each round of edit and
    review had added a space before it."""
    line = "# I. Basis of the plan {#basis src=bd3284b9}"
    once = with_fingerprint(line, "cc1dbe7e")
    assert once == "# I. Basis of the plan {#basis src=cc1dbe7e}"
    assert with_fingerprint(once, "bd3284b9") == line
    assert with_fingerprint("- 1. Offer forms.", "f119ce76") == "- 1. Offer forms. {src=f119ce76}"
    for written in ("Offer forms.  {src=1}", "Offer forms.\t{src=1}", "Offer forms.\u00a0{src=1}",
                    "Offer forms. {src=1}  "):  # what stands around the mark stays as written
        assert with_fingerprint(written, "2") == written.replace("src=1", "src=2")
    assert with_fingerprint("Offer forms.  ", "2") == "Offer forms. {src=2}  "  # a line break kept


def test_a_basis_entry_too_many_is_told_at_it(tmp_path: Path) -> None:
    """An English basis with an entry more than the Chinese was told at line 1 of the file."""
    from plansite.translation import check_english

    plans = PROJECT / "content" / "plans"
    (tmp_path / "mof-2017.zh-Hant.md").write_bytes((plans / "mof-2017.zh-Hant.md").read_bytes())
    entry = "  - authority: Executive Yuan\n    title: Government Service Upgrade Program\n"
    english = (plans / "mof-2017.en.md").read_text(encoding="utf-8").replace(entry, entry * 2, 1)
    path = tmp_path / "mof-2017.en.md"
    path.write_text(english, encoding="utf-8")
    plan, problems = read_plan_file(path, "content/plans/mof-2017.en.md")
    assert plan is not None and problems == []
    assert [str(p) for p in check_english(path, plan) if "'basis'" in p.message] == [(
        "content/plans/mof-2017.en.md:8: 'basis' has 2 entries, the Chinese 1 — translate each entry of the "
        "Chinese basis, in the same order")]
