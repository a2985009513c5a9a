"""Metadata for machines: the government 詮釋資料 on every page, a canonical address, Open
Graph and JSON-LD, sitemap.xml with hreflang alternates, robots.txt and the Atom feeds."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree, html

GOVERNMENT_TAGS = [
    "DC.Title", "DC.Creator", "DC.Subject", "DC.Description", "DC.Contributor", "DC.Type", "DC.Format",
    "DC.Source", "DC.Language", "DC.coverage.t.min", "DC.coverage.t.max", "DC.Publisher", "DC.Date",
    "DC.Identifier", "DC.Relation", "DC.Rights", "Category.Theme", "Category.Cake", "Category.Service",
    "Keywords",
]
BASE = "https://plans.example.org/"


def url_of(relative: str) -> str:
    return BASE + relative.removesuffix("index.html")


def test_every_page_carries_the_government_metadata(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 26
    for path in pages:
        relative = path.relative_to(built_site).as_posix()
        doc = html.fromstring(path.read_bytes())
        tags = {m.get("name"): m.get("content") for m in doc.iter("meta") if m.get("name")}
        names = [m.get("name") for m in doc.iter("meta") if m.get("name") in GOVERNMENT_TAGS]
        assert names == GOVERNMENT_TAGS, relative
        english = relative.startswith("en/")
        assert tags["DC.Language"] == ("en" if english else "zh-TW")
        assert tags["DC.Title"] == doc.findtext(".//title")
        assert tags["Category.Service"] == "I00"
        assert doc.find(".//link[@rel='canonical']").get("href") == url_of(relative)
        og = {m.get("property"): m.get("content") for m in doc.iter("meta") if m.get("property")}
        assert og["og:url"] == url_of(relative) and og["og:locale"] == ("en_US" if english else "zh_TW")


def test_plan_pages_describe_their_plan(built_site: Path) -> None:
    doc = html.fromstring((built_site / "plans" / "mof-2017" / "index.html").read_bytes())
    tags = {m.get("name"): m.get("content") for m in doc.iter("meta") if m.get("name")}
    assert tags["DC.Creator"] == "財政部" and tags["DC.Identifier"] == "mof-2017"
    assert (tags["DC.coverage.t.min"], tags["DC.coverage.t.max"]) == ("2017-01-01", "2017-12-31")
    assert tags["DC.Relation"] == BASE + "en/plans/mof-2017/"
    (script,) = doc.xpath("//script[@type='application/ld+json']")
    data = json.loads(script.text)
    assert data["@type"] == "CreativeWork" and data["name"] == "財政部提升服務實施計畫"
    assert data["author"] == {"@type": "GovernmentOrganization", "name": "財政部"}
    assert data["datePublished"] == "2017-06-05" and data["inLanguage"] == "zh-Hant-TW"


def test_sitemap_lists_every_page_with_its_translation(built_site: Path) -> None:
    root = etree.parse(str(built_site / "sitemap.xml")).getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    listed = {u.findtext("s:loc", namespaces=ns): u for u in root.findall("s:url", ns)}
    pages = [p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html") if p.name != "404.html"]
    assert set(listed) == {url_of(p) for p in pages}
    entry = listed[BASE + "plans/mof-2017/"]
    alternates = {a.get("hreflang"): a.get("href") for a in entry.findall("x:link", ns)}
    assert alternates == {"zh-Hant-TW": BASE + "plans/mof-2017/", "en": BASE + "en/plans/mof-2017/"}
    assert (built_site / "robots.txt").read_text() == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"


def test_atom_feeds_announce_every_plan_in_each_language(built_site: Path) -> None:
    atom = {"a": "http://www.w3.org/2005/Atom"}
    for prefix, lang in (("", "zh-Hant-TW"), ("en/", "en")):
        feed = etree.parse(str(built_site / prefix / "feed.xml")).getroot()
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        entries = feed.findall("a:entry", atom)
        assert len(entries) == len(list((built_site / "plans").iterdir()))
        for entry in entries:
            link = entry.find("a:link", atom).get("href")
            assert (built_site / link.removeprefix(BASE) / "index.html").is_file()
            assert entry.findtext("a:updated", namespaces=atom).endswith("T00:00:00Z")
        page = html.fromstring((built_site / prefix / "index.html").read_bytes())
        (href,) = page.xpath("//link[@type='application/atom+xml']/@href")
        assert (built_site / prefix / href).resolve() == (built_site / prefix / "feed.xml").resolve()
