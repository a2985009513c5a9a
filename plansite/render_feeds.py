"""Files for machines: sitemap.xml (with hreflang alternates), robots.txt, and an Atom feed per
language announcing new and updated plans. Pure functions of the model and configuration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from xml.sax.saxutils import escape, quoteattr

from . import model as m
from .config import SiteConfig
from .render_html import SITE_PAGES, plan_views, unit_pages
from .site_paths import (
    LANGUAGES,
    SITEMAP,
    Language,
    address,
    feed,
    home,
    language,
    plan_page,
    plan_view,
    site_page,
    units_page,
)

PAGES = (home, *(partial(site_page, name) for name, _ in SITE_PAGES))
"""The site's own pages, each a path in a given language (plans come on top)."""


def render_sitemap(editions: tuple[m.Edition, ...], config: SiteConfig, updated: date) -> str:
    """Every page of both languages; a page with a real translation names it as its alternate."""
    base = config.base_url
    pages: list[tuple[Callable[[Language], str], bool]] = [(path, True) for path in PAGES]
    pages += [(partial(plan_page, e.zh.id), e.en is not None) for e in editions]
    pages += [(partial(plan_view, e.zh.id, view), e.en is not None)
              for e in editions for view in plan_views(e)]
    pages += [(partial(units_page, slug), True) for slug in unit_pages(editions)]
    entries = []
    for path, translated in pages:
        for lang in LANGUAGES:
            url = base + address(path(lang))
            links = ""
            if translated:
                links = "".join(
                    f'\n    <xhtml:link rel="alternate" hreflang="{alternate.code}" '
                    f'href={quoteattr(base + address(path(alternate)))}/>'
                    for alternate in (lang, lang.other))
            entries.append(f"  <url>\n    <loc>{escape(url)}</loc>\n    "
                           f"<lastmod>{updated.isoformat()}</lastmod>{links}\n  </url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n")


def render_robots(config: SiteConfig) -> str:
    return f"User-agent: *\nAllow: /\nSitemap: {config.base_url}{SITEMAP}\n"


def render_feed(editions: tuple[m.Edition, ...], config: SiteConfig, lang: str, updated: date) -> str:
    """An Atom feed of the plans in one language, newest change first."""
    own = language(lang)
    english = own.english
    base = config.base_url
    site_name = config.site_name.en if english else config.site_name.zh
    publisher = config.publisher.name.en if english else config.publisher.name.zh
    entries = []
    for edition in sorted(editions, key=lambda e: (e.source_updated, e.zh.id), reverse=True):
        plan = edition.en if english and edition.en else edition.zh
        url = base + address(plan_page(plan.id, own))
        agency = plan.agency.en if english else plan.agency.zh
        entries.append(
            f"  <entry>\n    <title>{escape(plan.title)}</title>\n    <link href={quoteattr(url)}/>\n"
            f"    <id>{escape(url)}</id>\n    "
            f"<updated>{edition.source_updated.isoformat()}T00:00:00Z</updated>\n    "
            f"<author><name>{escape(agency)}</name></author>\n    "
            f"<summary>{escape(f'{agency}, {plan.year_ad}' if plan.year_ad else agency)}</summary>\n"
            "  </entry>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="{own.code}">\n'
            f"  <title>{escape(site_name)}</title>\n  <id>{escape(base + feed(own))}</id>\n"
            f'  <link rel="self" href={quoteattr(base + feed(own))}/>\n'
            f"  <link href={quoteattr(base + address(home(own)))}/>\n  "
            f"<updated>{updated.isoformat()}T00:00:00Z</updated>\n  "
            f"<author><name>{escape(publisher)}</name></author>\n" + "\n".join(entries) + "\n</feed>\n")
