"""Search: recall measured in real Chromium against what the content says, in both languages.

For every query, the pages that must be found are worked out independently of Pagefind: a
plan's page from the plan's model (every text it holds), the site's own indexed pages from
their rendered text. The search must return every one of them, and only pages in its language.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import os
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import lxml.html
import pytest

from plansite import model as m
from plansite.search import BUNDLE, MARKER, hints
from plansite.sources import load

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
        return "\n".join(model_text(getattr(node, f.name)) for f in dataclasses.fields(node)
                         if f.name not in skip)
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
        return {urlsplit(a).path
                for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}

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
    assert {"國家發展委員會", "國發會",
            "National Development Council"} <= set(hints("依國發會函", False, (term,)))
    assert set(hints("the National Development Council", True, (term,))) == {"國家發展委員會", "國發會"}
    assert hints("nothing here", True, (term,)) == []


def test_published_pages_carry_no_hints(built_site: Path):
    """The hints live only in the copy Pagefind reads."""
    page = (built_site / "plans" / "mof-2017" / "index.html").read_text(encoding="utf-8")
    assert "National Development Council" not in re.sub(r'lang="en"[^>]*>[^<]*', "", page)


def test_excerpts_keep_a_label_apart_from_its_value(built_site: Path):
    """The text Pagefind keeps of a page (its excerpts) has a space between a label and its value
    and between header cells: with the cells side by side in the HTML, results read
    "AgencyKeelung City Tax Bureau" and "DeadlineImplementing units"."""
    def text(html: str) -> str:
        return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())

    checked = 0
    for fragment in (built_site / BUNDLE).rglob("fragment/*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        record = json.loads(data[data.index(b"{"):])
        page = (built_site / record["url"].lstrip("/") / "index.html").read_text(encoding="utf-8")
        content = " ".join(record["content"].split())
        pairs = [(text(label), text(value)[:6]) for label, value in
                 re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.DOTALL)]
        for row in re.findall(r"<thead>\s*<tr>(.*?)</tr>", page, re.DOTALL):
            cells = [text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", row, re.DOTALL)]
            pairs += [(left, right[:6]) for left, right in itertools.pairwise(cells)]
        for label, value in pairs:
            if label and value:
                assert label + value not in content, (record["url"], label, value)
                checked += 1
    assert checked > 200


def test_the_search_page_finds_and_announces_results(browser, served):
    page = browser.new_page()
    page.goto(served + "search/index.html")
    page.get_by_label("搜尋字詞").fill("線上申辦")
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    results = page.locator("[data-list] > li")
    assert results.count() == 6, "the five plans and the glossary"
    assert status.inner_text().startswith("找到 6 個網頁"), status.inner_text()
    assert results.first.locator("mark").first.inner_text() == "線上申辦"
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
    assert len(shards) == 2 and all((site / BUNDLE / shard / "pagefind-entry.json").is_file()
                                    for shard in shards)
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
            found = {urlsplit(a).path
                     for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}
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
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in (site / BUNDLE).rglob("*")
                if p.is_file()}

    indexed("first", cache)
    before = {p.name for p in cache.iterdir() if p.is_dir()}
    assert len(before) == 6, "three shards, each in two languages"
    page = project / "site" / "en" / "plans" / "mof-2017" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>zyzzyva</p></main>", 1),
                    encoding="utf-8")
    from_cache = indexed("again", cache)
    after = {p.name for p in cache.iterdir() if p.is_dir()}
    assert len(after - before) == 1 and len(before - after) == 1
    assert from_cache == indexed("fresh", None)


# ---------------------------------------------------------------- where results lead (issue 17 §4)


def places_text(page: str) -> dict[str, str]:
    """id → the text of a plan page's main content from that place (an action's row, or a
    heading with text) to the next: where a result's link to that id must find its words;
    "" → the text before the first place (the title and the plan's particulars)."""
    root = lxml.html.fromstring(page)
    main = root.xpath("//main")[0]
    for ignored in main.xpath(".//*[@data-pagefind-ignore] | .//nav"):
        ignored.drop_tree()
    for element in list(main.iter()):
        if element.get("id") and (element.tag == "tr" or (re.fullmatch(r"h[1-6]", str(element.tag))
                                                          and element.text_content().strip())):
            marker = lxml.html.Element("span")
            marker.text, marker.tail, element.text = f"\u241e{element.get('id')}\u241e", element.text, None
            element.insert(0, marker)
    parts = main.text_content().split("\u241e")
    return {"": parts[0]} | {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


DEEP_QUERIES = [("zh-Hant-TW", "線上申辦"), ("zh-Hant-TW", "滿意度"), ("zh-Hant-TW", "台北"),
                ("en", "satisfaction"),
                ("en", "open data")]


@pytest.mark.parametrize(("lang", "query"), DEEP_QUERIES)
def test_each_result_links_to_the_place_that_holds_the_words(browser, served, built_site, lang, query):
    """Every link of a result to a place (#id) lands on a section or action whose own text
    holds the words; a plan found for words in its body is never linked by its top alone."""
    page = browser.new_page()
    page.goto(served + ("en/" if lang == "en" else "") + "search/index.html?" + urlencode({"q": query}))
    page.locator("[data-results][data-done]").wait_for(state="attached")
    links = page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")
    titles = page.locator("[data-list] .ps-results__title a").evaluate_all("l => l.map(a => a.href)")
    page.close()
    assert links
    words = [folded(word) for word in query.split()]

    def holds(text: str) -> bool:  # English words also by their other forms (satisfied, satisfaction)
        return all(w in folded(text) for w in words) if lang != "en" else any(w[:5] in folded(text)
                                                                              for w in words)

    deep = 0
    for address in links:
        parts = urlsplit(address)
        if not parts.fragment:
            continue
        deep += 1
        places = places_text((built_site / parts.path.lstrip("/") / "index.html").read_text(encoding="utf-8"))
        assert parts.fragment in places and parts.fragment, f"{address}: no such place on the page"
        assert holds(places[parts.fragment]), f"{address}: {query} is not there"
    assert deep, "no result links to a place"
    for address in titles:
        parts = urlsplit(address)
        if "/plans/" in parts.path:
            places = places_text((built_site / parts.path.lstrip("/") / "index.html").read_text(
                encoding="utf-8"))
            if not holds(places[""]):
                assert parts.fragment, \
                    f"{address}: the words are in the plan's body, the link goes to its top"


def test_excerpts_mark_the_words_and_the_other_language(browser, served):
    """An excerpt marks the words found, and every passage in the other language of the page
    carries lang (as plansite/languages.py marks them on the pages), in both languages."""
    from plansite.languages import CHINESE, ENGLISH

    page = browser.new_page()
    for lang, query in (("zh-Hant-TW", "財政部"), ("en", "document"), ("zh-Hant-TW", "線上申辦")):
        page.goto(served + ("en/" if lang == "en" else "") + "search/index.html?" + urlencode({"q": query}))
        page.locator("[data-results][data-done]").wait_for(state="attached")
        marks = page.locator("[data-list] mark").all_inner_texts()
        stems = [folded(word)[:5] for word in query.split()]  # English words also in their other forms
        assert marks and all(folded(mark) in folded(query) or (lang == "en" and folded(mark)[:5] in stems)
                             for mark in marks), (query, marks)
        # each text node of the results with the language it is read in
        runs = page.locator("[data-list]").evaluate("""list => {
            const walker = document.createTreeWalker(list, NodeFilter.SHOW_TEXT);
            const runs = [];
            while (walker.nextNode()) {
              runs.push([walker.currentNode.data, walker.currentNode.parentElement.closest('[lang]').lang]);
            }
            return runs;
        }""")
        for text, read_as in runs:
            other = CHINESE if read_as == "en" else ENGLISH
            assert not other.search(text), f"{query}: {text!r} is read as {read_as}"
        if lang == "en":
            assert any(read_as == "zh-Hant-TW" and CHINESE.search(text)
                       for text, read_as in runs), "no Chinese quoted"
        elif query == "財政部":
            assert any(read_as == "en" and ENGLISH.search(text)
                       for text, read_as in runs), "no English quoted"
    page.close()


def test_results_are_narrowed_by_agency_and_year(browser, served):
    """The choices are real selects with names, sent in the address, and a new choice
    narrows the results shown at once."""
    page = browser.new_page()
    page.goto(served + "search/index.html?" + urlencode({"q": "服務", "agency": "財政部"}))
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    found = {urlsplit(a).path for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}
    assert found == {"/plans/mof-2017/"}
    assert page.get_by_label("機關").input_value() == "財政部"
    # by keyboard: every agency again, then the year 113
    page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
    page.get_by_label("機關").select_option("")
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
    page.get_by_label("年度").focus()
    page.get_by_label("年度").select_option("113")
    page.locator("[data-results][data-done=true]").wait_for(state="attached")
    found = {urlsplit(a).path for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}
    assert found == {"/plans/kaohsiung-finance-2024/"}
    assert "year=113" in page.url and "agency=" not in page.url
    assert page.get_by_role("status").inner_text().startswith("找到 1 個網頁")
    page.close()


def test_english_pages_of_untranslated_plans_are_found_by_language(browser, tmp_path: Path) -> None:
    """On the English site, a plan not yet translated has an English page in Chinese: the
    search page offers the page's language, and its results carry lang="zh-Hant-TW"."""
    from plansite.check import serve
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project", plans=["mof-2017", "keelung-tax-2023"])
    (project / "content" / "plans" / "keelung-tax-2023.en.md").unlink()
    build(project, project / "site", downloads=False)
    with serve(project / "site") as url:
        page = browser.new_page()
        page.goto(url + "en/search/index.html?" + urlencode({"q": "服務", "language": "zh-Hant-TW"}))
        page.locator("[data-results][data-done=true]").wait_for(state="attached")
        items = page.locator("[data-list] > li")
        assert items.count() == 1
        assert page.get_by_role("status").inner_text() == "1 page found for “服務”."  # one, not "1 pages"
        assert items.first.get_attribute("lang") == "zh-Hant-TW"
        link = items.first.locator("a").first.get_attribute("href")
        assert urlsplit(link).path == "/en/plans/keelung-tax-2023/"
        assert page.get_by_label("Language of the page").input_value() == "zh-Hant-TW"
        page.goto(url + "search/index.html")
        assert page.locator("select[name=language]").count() == 0, \
            "one language on the Chinese site: no choice"
        page.close()


def test_the_choices_are_the_values_the_pages_give_pagefind(built_site: Path):
    """Every agency and year offered is one some page carries as a filter, and the other way round."""
    for prefix in ("", "en/"):
        search = lxml.html.fromstring((built_site / prefix / "search" / "index.html").read_bytes())
        for name in ("agency", "year"):
            offered = {o.get("value") for o in search.xpath(f"//select[@name='{name}']/option")
                       if o.get("value")}
            carried = {value.strip() for path in (built_site / prefix / "plans").glob("*/index.html")
                       for value in lxml.html.fromstring(path.read_bytes()).xpath(
                           "//*[@data-pagefind-filter='agency[data-agency]']/@data-agency" if name == "agency"
                           else "//*[@data-pagefind-filter='year[data-year]']/@data-year")}
            assert offered == carried and offered, (prefix, name)


NAMES = {"keelung-tax-2023": {"": '基隆市"稅務"局\\分局,  A&amp;B：一',
                              "en/": 'Keelung "City" Tax\\Bureau,  A&amp;B: <x>'},
         "mof-2017": {"": '基隆市＂稅務＂局＼分局, A&B：一', "en/": 'Keelung ＂City＂ Tax＼Bureau, A&B: <x>'}}
"""Agency names holding what a filter value might choke on (quotes, a backslash, two spaces in
a row, a comma, a colon, a character reference, angle brackets), and names that differ from
them only by the full-width forms, a single space and the character the reference stands for."""


@pytest.mark.parametrize("prefix", ["", "en/"])
def test_an_agency_named_with_quotes_and_backslashes_narrows_the_results(browser, tmp_path: Path,
                                                                       prefix) -> None:
    """An agency's name is data: whatever it holds, choosing it on the search page finds its
    plan and only its plan, and the address (a bookmark) narrows alike."""
    from plansite.check import serve
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project", plans=list(NAMES))
    for plan_id, names in NAMES.items():
        path = project / "content" / "plans" / f"{plan_id}.zh-Hant.md"
        agency = f"agency:\n  zh: '{names['']}'\n  en: '{names['en/']}'\n"
        text = re.sub(r"agency:\n  zh: .*\n  en: .*\n", lambda _, agency=agency: agency,
                      path.read_text(encoding="utf-8"), count=1)
        path.write_text(text, encoding="utf-8")
    build(project, project / "site", downloads=False)
    with serve(project / "site") as url:
        page = browser.new_page()
        for plan_id, names in NAMES.items():
            agency = names[prefix]
            query = urlencode({"q": "服務" if not prefix else "service"})
            page.goto(url + prefix + "search/index.html?" + query)
            page.locator("[data-results][data-done=true]").wait_for(state="attached")
            page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
            page.locator("select[name=agency]").select_option(label=agency)
            for _ in range(2):  # chosen, then the address it leaves opened again
                page.locator("[data-results][data-done=true]").wait_for(state="attached")
                found = {urlsplit(a).path
                         for a in page.locator("[data-list] a").evaluate_all("l => l.map(a => a.href)")}
                assert found == {f"/{prefix}plans/{plan_id}/"}, agency
                assert page.locator("select[name=agency] option:checked").inner_text() == agency
                page.goto(page.url)
        page.close()


def test_a_page_is_read_again_only_when_it_is_another_file_or_changed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The search stage reads a page only when it is not the file it found last time, of the
    same size and time (a rebuild's unchanged pages are links to the published ones): indexing
    the same site again reads nothing; a page changed in place, even to the same size, is read
    and its shard indexed again, and the bundle is what an index made without the cache is."""
    import shutil

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    site, cache, glossary = project / "site", tmp_path / "cache", load_glossary(project)
    shutil.rmtree(site / BUNDLE)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    read: list[bytes] = []  # the pages page_digests reads (index_part reads those it indexes, by its own way)

    def spied(path, *args, **kwargs):
        read.append(Path(path).read_bytes())
        return open(path, *args, **kwargs)

    monkeypatch.setattr(search, "open", spied, raising=False)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    assert read == []
    other = tmp_path / "other"  # another site built in turn with the same cache (the preview's)
    shutil.copytree(site, other, ignore=shutil.ignore_patterns(BUNDLE))
    search.index_site(other, glossary, plans_per_shard=2, cache=cache)
    assert read
    read.clear()
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    assert read == []
    page = site / "en" / "plans" / "mof-2017" / "index.html"
    text = page.read_text(encoding="utf-8")
    changed = text.replace("Ministry", "Minestry", 1)
    assert changed != text and len(changed) == len(text)
    before = page.stat()
    with open(page, "r+", encoding="utf-8") as file:  # in place: the same file, of the same size
        file.write(changed)
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    assert len(read) == 1 and b"Minestry" in read[0]
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(BUNDLE))
    search.index_site(fresh, glossary, plans_per_shard=2)
    assert bundle(site) == bundle(fresh)


def bundle(site: Path) -> dict[str, bytes]:
    """Every file of a site's search bundle, by its path in the bundle."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in (site / BUNDLE).rglob("*") if p.is_file()}


def test_a_build_reads_none_of_the_pages_it_wrote_to_index_them(tmp_path: Path, monkeypatch) -> None:
    """A build hashes each page for search as it writes it (reading a thousand plans' pages
    again took half a second before Pagefind could start): its search stage opens none of them,
    and its bundle is the one an index that reads every page makes."""
    import builtins
    import shutil

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    opened: list[str] = []

    def spied(path, *args, **kwargs):
        opened.append(str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(search, "open", spied, raising=False)
    build(project, project / "site", downloads=False)
    assert opened == []
    fresh = tmp_path / "fresh"
    shutil.copytree(project / "site", fresh, ignore=shutil.ignore_patterns(BUNDLE))
    search.index_site(fresh, load_glossary(project))
    assert len([path for path in opened if path.endswith(".html")]) > 10  # the spy sees what is read
    assert bundle(project / "site") == bundle(fresh)


def test_the_shards_from_the_cache_are_put_together_while_pagefind_indexes_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After one page changed, its shard's language is indexed again while the other shards,
    taken from the cache, are put together: the Pagefind run waits (up to 20 s) until their two
    bundles are complete, which it would never see were they put together after it."""
    import shutil
    import time

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    glossary, cache = load_glossary(project), tmp_path / "cache"

    def copied(name: str) -> Path:
        site = tmp_path / name
        shutil.copytree(project / "site", site, ignore=shutil.ignore_patterns(BUNDLE))
        return site

    search.index_site(copied("first"), glossary, plans_per_shard=2, cache=cache)
    page = project / "site" / "en" / "plans" / "mof-2017" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>zyzzyva</p></main>", 1),
                    encoding="utf-8")
    again, seen = copied("again"), []

    def complete() -> int:
        return len(list((again / BUNDLE).rglob(search.ENTRY)))

    def held(pages: Path, output: Path) -> None:
        deadline = time.monotonic() + 20
        while complete() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(complete())
        indexer(pages, output)

    indexer = search.run_pagefind
    monkeypatch.setattr(search, "run_pagefind", held)
    search.index_site(again, glossary, plans_per_shard=2, cache=cache)
    assert seen == [2], "one Pagefind run, after the two other shards were put together"
    fresh = copied("fresh")
    search.index_site(fresh, glossary, plans_per_shard=2)
    assert bundle(again) == bundle(fresh)


def test_a_failure_putting_a_shard_together_starts_no_further_pagefind_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first shard cannot be put together (a full disk, say): the error is raised as soon
    as the parts under way are indexed, and the parts waiting their turn are not begun. (The
    parts after the first shard's take half a second longer, so that both workers are busy
    with them when the error comes.)"""
    import time

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    site, glossary = project / "site", load_glossary(project)
    runs: list[Path] = []  # each part begun (its pages hinted, then Pagefind)
    indexer = search.index_part

    def counted(*args) -> Path:
        runs.append(args[2])
        if len(runs) > 2:
            time.sleep(0.5)
        return indexer(*args)

    def full(outputs: list[Path], bundle: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(search, "index_part", counted)
    search.index_site(site, glossary, plans_per_shard=1, cache=tmp_path / "whole")
    parts, runs[:] = len(runs), []
    assert parts > 4
    monkeypatch.setattr(search, "assemble", full)
    with pytest.raises(OSError, match="No space left"):
        search.index_site(site, glossary, plans_per_shard=1, cache=tmp_path / "cache")
    assert len(runs) == 4, f"{len(runs)} of {parts} parts begun: the first shard's two and the two under way"


def indexed_again(site: Path, glossary, cache: Path) -> dict[str, bytes]:
    """The site's search bundle made again with the cache."""
    import shutil

    from plansite import search

    shutil.rmtree(site / BUNDLE)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    return bundle(site)


def indexed_afresh(site: Path, glossary, fresh: Path) -> dict[str, bytes]:
    """The search bundle of a copy of the site's pages, made without a cache."""
    import shutil

    from plansite import search

    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(BUNDLE))
    search.index_site(fresh, glossary, plans_per_shard=2)
    return bundle(fresh)


def test_a_cached_index_missing_one_of_its_files_is_made_again(tmp_path: Path) -> None:
    """A file removed from an index kept in the cache was published as missing (a search
    result then failed to load): a kept index lists its files and their sizes."""
    import shutil

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    site, cache, glossary = project / "site", tmp_path / "cache", load_glossary(project)
    shutil.rmtree(site / BUNDLE)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    next(path for path in cache.rglob("fragment/*") if path.is_file()).unlink()
    assert indexed_again(site, glossary, cache) == indexed_afresh(site, glossary, tmp_path / "fresh")


def test_a_page_edited_with_its_size_and_time_put_back_never_reaches_the_cache(tmp_path: Path) -> None:
    """Such a page is taken for the page it was (by its file, size and time), so its index was
    kept under that page's hash, and every later build copied it: even a site built anew from
    unchanged pages searched the hand-edited text, until the cache was deleted. A page is now
    checked against its hash as it is indexed, and one that differs is indexed as it is, kept
    nowhere, and read again by the next build."""
    import shutil

    from plansite import search
    from plansite.content import load_glossary
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project")
    build(project, project / "site", downloads=False)
    site, cache, glossary = project / "site", tmp_path / "cache", load_glossary(project)
    shutil.rmtree(site / BUNDLE)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    page = site / "en" / "plans" / "mof-2017" / "index.html"
    original, before = page.read_bytes(), page.stat()
    body = original.index(b"data-pagefind-body")  # a word the index holds
    edited = original[:body] + original[body:].replace(b"Ministry", b"Minestry", 1)
    assert edited != original and len(edited) == len(original)
    with open(page, "r+b") as file:  # in place: the same file, of the same size and time
        file.write(edited)
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    for entry in cache.iterdir():  # the indexes gone, what was found of each page kept
        if entry.is_dir():
            shutil.rmtree(entry)
    shutil.rmtree(site / BUNDLE)
    search.index_site(site, glossary, plans_per_shard=2, cache=cache)
    page.unlink()
    page.write_bytes(original)  # the page as it was, a new file
    assert indexed_again(site, glossary, cache) == indexed_afresh(site, glossary, tmp_path / "fresh")
