"""The site's languages and paths (plansite/site_paths.py): every page and file is where the
site's layout says, in each language, and a page's counterpart is its other language's."""

from __future__ import annotations

import pickle
import re
from functools import partial

import pytest

from plansite import site_paths as paths
from plansite.site_paths import EN, LANGUAGES, ZH, language

from .conftest import PROJECT

LAYOUT = {  # what each path function gives, in Chinese and in English
    paths.home: ("index.html", "en/index.html"),
    partial(paths.site_page, "glossary"): ("glossary/index.html", "en/glossary/index.html"),
    paths.not_found: ("404.html", "en/404.html"),
    partial(paths.plan_page, "mof-2017"): ("plans/mof-2017/index.html", "en/plans/mof-2017/index.html"),
    partial(paths.plan_view, "mof-2017", "units"): ("plans/mof-2017/units/index.html",
                                                    "en/plans/mof-2017/units/index.html"),
    partial(paths.units_page, "keelung-city-tax-bureau"): ("units/keelung-city-tax-bureau/index.html",
                                                          "en/units/keelung-city-tax-bureau/index.html"),
    paths.feed: ("feed.xml", "en/feed.xml"),
    partial(paths.plan_data, "mof-2017", kind="json"): ("data/plans/mof-2017.zh-Hant.json",
                                                        "data/plans/mof-2017.en.json"),
    partial(paths.plan_data, "mof-2017", kind="csv"): ("data/plans/mof-2017.zh-Hant.csv",
                                                       "data/plans/mof-2017.en.csv"),
    partial(paths.download, "mof-2017", kind="pdf"): ("downloads/mof-2017.zh-Hant.pdf",
                                                      "downloads/mof-2017.en.pdf"),
}
PAGES = (paths.home, paths.not_found, partial(paths.site_page, "glossary"),
         partial(paths.plan_page, "mof-2017"), partial(paths.plan_view, "mof-2017", "units/index.html"),
         partial(paths.units_page, "keelung"), paths.feed)
"""The paths that live in one language's tree (the data and downloads sit side by side)."""


def test_the_languages_are_chinese_then_english_each_spelled_as_its_parts_need() -> None:
    assert LANGUAGES == (ZH, EN)
    assert [(x.code, x.tag, x.locale, x.prefix, x.document_code, x.odt_code) for x in LANGUAGES] == [
        ("zh-Hant-TW", "zh-Hant", "zh_Hant_TW", "", "zh-TW", "zh-TW"),
        ("en", "en", "en", "en/", "en", "en-US")]
    assert [x.english for x in LANGUAGES] == [False, True]


def test_each_language_has_the_other_as_its_counterpart() -> None:
    assert ZH.other is EN
    assert EN.other is ZH
    assert all(lang.other.other is lang for lang in LANGUAGES)


@pytest.mark.parametrize("path", LAYOUT, ids=lambda path: getattr(path, "func", path).__name__)
def test_every_path_in_each_language(path) -> None:
    assert (path(ZH), path(EN)) == LAYOUT[path]


@pytest.mark.parametrize("path", PAGES, ids=lambda path: getattr(path, "func", path).__name__)
def test_a_page_path_tells_its_language_and_its_place_in_that_language(path) -> None:
    for lang in LANGUAGES:
        assert paths.split(path(lang)) == (lang, path(ZH))


def test_the_address_of_a_page_is_its_folder() -> None:
    assert paths.address(paths.plan_page("mof-2017", EN)) == "en/plans/mof-2017/"
    assert paths.address(paths.home(ZH)) == ""
    assert paths.address(paths.not_found(ZH)) == "404.html"


def test_the_site_wide_files() -> None:
    assert (paths.SITEMAP, paths.ROBOTS, paths.CATALOGUE, paths.SCHEMA) == (
        "sitemap.xml", "robots.txt", "data/plans.json", "data/plan.schema.json")
    assert (paths.asset("site.css"), paths.badge(".PNG"), paths.SEARCH_BUNDLE) == (
        "assets/site.css", "assets/accessibility-badge.png", "pagefind/")


def test_a_language_is_looked_up_by_its_code_and_no_other_spelling() -> None:
    assert language("zh-Hant-TW") is ZH
    assert language("en") is EN
    for code in ("zh-Hant", "zh-TW", "zh_Hant_TW", "EN", "en-US", "fr", ""):
        with pytest.raises(ValueError, match=f"no language '{code}'; it has zh-Hant-TW, en"):
            language(code)


def test_a_language_sent_to_a_worker_is_the_workers_own() -> None:
    assert [pickle.loads(pickle.dumps(lang)) for lang in LANGUAGES] == [ZH, EN]
    assert all(pickle.loads(pickle.dumps(lang)) is lang for lang in LANGUAGES)


def test_the_projects_files_are_spelled_as_the_languages_say() -> None:
    """Plan files are tagged, and catalogs are folders, as the languages name them."""
    tags = {path.name.split(".")[1] for path in (PROJECT / "content" / "plans").glob("*.md")}
    assert tags == {lang.tag for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert (PROJECT / "locales" / lang.locale / "LC_MESSAGES" / "messages.po").is_file()


@pytest.mark.parametrize(("page", "path", "link"), [
    ("sitemap/index.html", "plans/mof-2017/index.html", "../plans/mof-2017/index.html"),
    ("en/sitemap/index.html", "en/plans/mof-2017/index.html", "../plans/mof-2017/index.html"),
    ("index.html", "plans/mof-2017/index.html", "plans/mof-2017/index.html"),
    ("plans/mof-2017/units/index.html", "plans/mof-2017/index.html", "../index.html"),
    ("plans/mof-2017/index.html", "plans/mof-2017/deadlines/index.html", "deadlines/index.html"),
    ("units/index.html", "units/keelung-city-tax-bureau/index.html", "keelung-city-tax-bureau/index.html"),
    ("en/units/a/index.html", "plans/", "../../../plans/"),
    ("search/index.html", "search/index.html", "index.html"),
])
def test_a_link_within_the_content_is_the_shortest_relative_path(page: str, path: str, link: str) -> None:
    assert paths.link(page, path) == link


def test_templates_ask_for_every_path_and_spell_none() -> None:
    """Every link and file a template names comes from site_paths through ``page.to`` or
    ``page.near`` (or is a whole address from elsewhere: the canonical URL, the publisher's
    page): a template's own spelling of a path ('../plans/ID/index.html', 'en/' + …) would
    break when the layout changes, and would be the third place a path is built."""
    attribute = re.compile(r'(?:href|src|action|data-bundle)="((?:[^"{]|\{\{[^}]*\}\})*)"')
    found = []
    for path in sorted((PROJECT / "templates").glob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for value in attribute.findall(line):
                literal = re.sub(r"\{\{[^}]*\}\}", "", value)
                joined = re.search(r"\}\}\s*\{\{", value)  # a path put together from parts
                if (literal and not literal.startswith(("#", "mailto:"))) or joined or "page.root" in value:
                    found.append(f"{path.name}:{number}: {value}")
    assert found == []
