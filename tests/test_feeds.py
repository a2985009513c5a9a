"""Files for machines (plansite/render_feeds.py): sitemap.xml, robots.txt and the Atom feeds are
well-formed XML naming every page by its public address, with hostile titles escaped."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from lxml import etree

from plansite.config import load_config
from plansite.content import load_glossary, load_plans
from plansite.render_feeds import render_feed, render_robots, render_sitemap
from plansite.translation import editions

from .conftest import PROJECT

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = 'A </title><script>alert("x")</script> & ]]> plan'


@pytest.fixture(scope="module")
def site():
    """The project's real plans, one of them untranslated and one with a hostile title."""
    config = load_config(PROJECT)
    found, _ = editions(PROJECT, load_plans(PROJECT), load_glossary(PROJECT))
    first, second, *rest = found
    first = dataclasses.replace(first, en=None, status={})
    second = dataclasses.replace(second, zh=dataclasses.replace(second.zh, title=HOSTILE),
                                 en=dataclasses.replace(second.en, title=HOSTILE))
    return (first, second, *rest), config


def test_the_sitemap_names_every_page_of_both_languages_with_its_alternates(site) -> None:
    found, config = site
    root = etree.fromstring(render_sitemap(found, config, date(2024, 5, 1)).encode("utf-8"))
    urls = {u.findtext(f"{SITEMAP}loc"): u for u in root.iter(f"{SITEMAP}url")}
    base = config.base_url
    assert all(url.startswith(base) for url in urls) and len(urls) == len(list(root))
    for edition in found:
        for prefix in ("", "en/"):
            url = urls[f"{base}{prefix}plans/{edition.zh.id}/"]
            assert url.findtext(f"{SITEMAP}lastmod") == "2024-05-01"
            alternates = {a.get("hreflang"): a.get("href") for a in url.iter(f"{XHTML}link")}
            if edition.en is None:  # no translation: no page claims one
                assert alternates == {}
            else:
                assert alternates == {"zh-Hant-TW": f"{base}plans/{edition.zh.id}/",
                                      "en": f"{base}en/plans/{edition.zh.id}/"}
    assert f"{base}" in urls and f"{base}en/" in urls


def test_robots_points_at_the_sitemap(site) -> None:
    _, config = site
    assert render_robots(config) == f"User-agent: *\nAllow: /\nSitemap: {config.base_url}sitemap.xml\n"


@pytest.mark.parametrize("lang, prefix", [("zh-Hant-TW", ""), ("en", "en/")])
def test_each_feed_is_atom_with_one_entry_per_plan_newest_first(site, lang: str, prefix: str) -> None:
    found, config = site
    root = etree.fromstring(render_feed(found, config, lang, date(2024, 5, 1)).encode("utf-8"))
    assert root.tag == f"{ATOM}feed" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    assert root.findtext(f"{ATOM}id") == f"{config.base_url}{prefix}feed.xml"
    assert root.findtext(f"{ATOM}updated") == "2024-05-01T00:00:00Z"
    entries = root.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    newest = sorted(found, key=lambda e: (e.source_updated, e.zh.id), reverse=True)
    assert ids == [f"{config.base_url}{prefix}plans/{e.zh.id}/" for e in newest]
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == ids
    titles = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}title") for e in entries}
    # escaped, so read back whole
    assert titles[f"{config.base_url}{prefix}plans/{found[1].zh.id}/"] == HOSTILE
    untranslated = titles[f"{config.base_url}{prefix}plans/{found[0].zh.id}/"]
    assert untranslated == found[0].zh.title  # the English feed announces the Chinese original


def test_a_hostile_title_never_becomes_markup(site) -> None:
    found, config = site
    text = render_feed(found, config, "en", date(2024, 5, 1))
    assert "<script>" not in text and "&lt;script&gt;" in text
