"""Search: recall measured in real Chromium against what the content says, in both languages.

For every query, the pages that must be found are worked out independently of Pagefind: a
plan's page from the plan's model (every text it holds), the site's own indexed pages from
their rendered text. The search must return every one of them, and only pages in its language.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import lxml.html
import pytest

from plansite import model as m
from plansite.search import BUNDLE, MARKER, hints
from plansite.site import load

CHINESE_QUERIES = [
    # terms of two to four characters taken from the plans
    "服務", "無障礙", "單一窗口", "線上申辦", "滿意度", "資料開放", "便民", "電話禮貌", "服務品質",
    "稅務", "陳情", "網站", "開放", "創新", "志工", "民眾", "問卷", "流程", "宣導", "檢討",
    "櫃檯", "標準作業", "電子化", "查詢", "教育訓練",
    # unit names
    "服務科", "納稅服務科", "秘書室", "政風室", "人事室",
    # words the pages write with 臺 found when typed with 台, and the other way round
    "台北", "平台", "櫃臺",
]
ENGLISH_QUERIES = [
    "service", "online application", "satisfaction", "accessibility", "open data", "complaints",
    "taxpayers", "website", "Ministry of Finance", "innovation", "volunteers", "questionnaire",
]
CROSS_LANGUAGE = [
    # an English glossary term typed into the Chinese search finds the Chinese pages
    ("zh-Hant-TW", "online application", "線上申辦"),
    ("zh-Hant-TW", "Ministry of Finance", "財政部"),
]


def model_text(node) -> str:
    """Every piece of text a plan holds, as its page shows it (deadlines are written from the
    Chinese value on English pages, so they are left out; queries do not rely on them)."""
    if isinstance(node, str):
        return node
    if isinstance(node, (tuple, list)):
        return "\n".join(model_text(child) for child in node)
    if isinstance(node, (m.Location, m.Deadline, m.Classification, date)) or node is None:
        return ""
    if dataclasses.is_dataclass(node):
        skip = {"id", "lang", "href", "translates", "name", "kind"}
        return "\n".join(model_text(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name not in skip)
    return ""


def folded(text: str) -> str:
    return text.translate(str.maketrans("台", "臺")).lower()


@pytest.fixture(scope="module")
def expected_texts(built_site: Path) -> dict[str, str]:
    """URL → the text a query must be found in: plans from their model, other indexed pages
    from their rendered main content."""
    project = built_site.parent
    loaded = load(project)
    texts: dict[str, str] = {}
    for edition in loaded.editions:
        for prefix, plan in (("/", edition.zh), ("/en/", edition.en or edition.zh)):
            texts[f"{prefix}plans/{plan.id}/"] = model_text(plan)
    for path in sorted(built_site.rglob("*.html")):
        relative = path.relative_to(built_site).as_posix()
        if relative.startswith(BUNDLE) or "/plans/" in f"/{relative}":
            continue
        page = path.read_text(encoding="utf-8")
        if MARKER not in page:
            continue
        root = lxml.html.fromstring(page)
        for ignored in root.xpath("//*[@data-pagefind-ignore]"):
            ignored.drop_tree()
        main = root.xpath("//main")[0]
        texts["/" + relative.removesuffix("index.html")] = main.text_content()
    return texts


def expected(texts: dict[str, str], lang: str, term: str) -> set[str]:
    english = lang == "en"
    return {url for url, text in texts.items()
            if url.startswith("/en/") == english and folded(term) in folded(text)}


@pytest.fixture(scope="module")
def search(browser, served):
    """Search as a reader does: the search page of the language with ?q=, every batch of
    results (More results) until the page says it is done; returns the result addresses."""
    page = browser.new_page()

    def run(lang: str, query: str) -> set[str]:
        page.goto(served + ("en/" if lang == "en" else "") + "search/index.html?" + urlencode({"q": query}))
        region = page.locator("[data-results]")
        while True:
            page.locator("[data-results][data-done]").wait_for(state="attached")
            if region.get_attribute("data-done") == "true":
                break
            page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
            page.locator("[data-more]").click()
        return {urlsplit(a).path for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}

    yield run
    page.close()


@pytest.mark.parametrize("query", CHINESE_QUERIES)
def test_chinese_search_finds_every_page_with_the_term(search, expected_texts, query):
    wanted = expected(expected_texts, "zh-Hant-TW", query)
    assert wanted, f"{query} is in no page: choose a term the plans use"
    found = search("zh-Hant-TW", query)
    assert wanted <= found, f"{query}: missed {sorted(wanted - found)}"
    assert not {url for url in found if url.startswith("/en/")}, "an English page in Chinese results"


@pytest.mark.parametrize("query", ENGLISH_QUERIES)
def test_english_search_finds_every_page_with_the_term(search, expected_texts, query):
    wanted = expected(expected_texts, "en", query)
    assert wanted, f"{query} is in no page: choose a term the plans use"
    found = search("en", query)
    assert wanted <= found, f"{query}: missed {sorted(wanted - found)}"
    assert all(url.startswith("/en/") for url in found), "a Chinese page in English results"


@pytest.mark.parametrize(("lang", "query", "term"), CROSS_LANGUAGE)
def test_a_glossary_term_finds_pages_written_in_the_other_language(search, expected_texts, lang, query, term):
    wanted = expected(expected_texts, lang, term)
    assert wanted
    assert wanted <= search(lang, query)


def test_the_spelling_folds_both_ways():
    assert set(hints("財政部臺北國稅局", False, ())) == {"財", "政", "部", "臺", "台", "北", "國", "稅", "局"}
    assert set(hints("台灣", False, ())) == {"台", "臺", "灣"}
    assert hints("Taipei", True, ()) == []


def test_glossary_hints_name_every_form_and_the_english_term():
    term = m.Term(("國家發展委員會", "國發會"), "National Development Council", None, None)
    assert {"國家發展委員會", "國發會", "National Development Council"} <= set(hints("依國發會函", False, (term,)))
    assert set(hints("the National Development Council", True, (term,))) == {"國家發展委員會", "國發會"}
    assert hints("nothing here", True, (term,)) == []


def test_published_pages_carry_no_hints(built_site: Path):
    """The hints live only in the copy Pagefind reads."""
    page = (built_site / "plans" / "mof-2017" / "index.html").read_text(encoding="utf-8")
    assert "National Development Council" not in re.sub(r'lang="en"[^>]*>[^<]*', "", page)


def test_the_search_page_finds_and_announces_results(browser, served):
    page = browser.new_page()
    page.goto(served + "search/index.html")
    page.get_by_label("搜尋字詞").fill("線上申辦")
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    results = page.locator("[data-list] li")
    assert results.count() == 6, "the five plans and the glossary"
    assert status.inner_text().startswith("找到 6 個網頁"), status.inner_text()
    assert results.first.locator("mark").inner_text() == "線上申辦"
    assert "q=" in page.url, "the query is kept in the address, so a search can be bookmarked"
    page.close()


def test_a_query_that_finds_nothing_says_so(browser, served):
    page = browser.new_page()
    page.goto(served + "en/search/index.html?q=zyzzyva")
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    assert page.get_by_role("status").inner_text().startswith("No page found")
    page.close()


def test_without_javascript_the_search_page_explains_itself(browser, served):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + "en/search/index.html")
    notice = page.locator("main .ps-notice")
    assert notice.is_visible()
    assert "JavaScript" in notice.inner_text()
    assert page.locator("main a[href$='sitemap/index.html']").is_visible()
    context.close()


def test_a_sharded_index_finds_every_plan(browser, tmp_path: Path) -> None:
    """Big sites are indexed in shards the search page merges: with two plans per shard the
    five plans make three shards, and a search still finds every plan, at its own address."""
    from plansite.check import serve
    from plansite.content import load_glossary
    from plansite.search import index_site
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    site = project / "site"
    build(project, site, downloads=False)
    index_site(site, load_glossary(project), plans_per_shard=2)
    shards = json.loads((site / BUNDLE / "shards.json").read_text(encoding="utf-8"))
    assert len(shards) == 2 and all((site / BUNDLE / shard / "pagefind-entry.json").is_file() for shard in shards)
    plans = {p.parent.name for p in (site / "plans").glob("*/index.html")}
    with serve(site) as url:
        page = browser.new_page()
        for prefix, query in (("", "服務"), ("en/", "service")):
            page.goto(url + prefix + "search/index.html?" + urlencode({"q": query}))
            page.locator("[data-results][data-done]").wait_for(state="attached")
            while page.locator("[data-more]").is_visible():
                page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
                page.locator("[data-more]").click()
                page.locator("[data-results][data-done]").wait_for(state="attached")
            found = {urlsplit(a).path for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}
            assert {f"/{prefix}plans/{plan}/" for plan in plans} <= found, prefix
        page.close()


def test_an_edited_page_re_indexes_only_its_shard_in_its_language(tmp_path: Path) -> None:
    """Each language of a shard is indexed on its own and kept in the cache on its own: after
    one English page changes, one index is made again, and the bundles put together from the
    cache are byte for byte those of an index made without it."""
    import shutil

    from plansite.content import load_glossary
    from plansite.search import index_site
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    glossary = load_glossary(project)
    cache = tmp_path / "cache"

    def indexed(name: str, cache: Path | None) -> dict[str, bytes]:
        site = tmp_path / name
        shutil.copytree(project / "site", site, ignore=shutil.ignore_patterns(BUNDLE))
        index_site(site, glossary, plans_per_shard=2, cache=cache)
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in (site / BUNDLE).rglob("*") if p.is_file()}

    indexed("first", cache)
    before = {p.name for p in cache.iterdir()}
    assert len(before) == 6, "three shards, each in two languages"
    page = project / "site" / "en" / "plans" / "mof-2017" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>zyzzyva</p></main>", 1), encoding="utf-8")
    from_cache = indexed("again", cache)
    after = {p.name for p in cache.iterdir()}
    assert len(after - before) == 1 and len(before - after) == 1
    assert from_cache == indexed("fresh", None)
