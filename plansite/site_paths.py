"""The site's two languages as values, and where every file of the site goes.

A language is spelled five ways (the page's lang, the tag in file names, the catalog's
locale, the address prefix, the documents' language) and every page exists in both: these
are said once here, so a renderer asks for ``plan_page(id, lang)`` instead of building the
path itself. Paths are relative to the site's root; a page's public address is its path
without 'index.html' (:func:`address`). The module imports only the standard library: the
build stamp and the formats read it before anything heavy loads.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    """One language of the site, in each of the spellings its parts use."""

    code: str
    """The page's and the plan's ``lang`` (BCP 47): 'zh-Hant-TW', 'en'."""
    tag: str
    """The tag in file names: a plan's source (ID.zh-Hant.md), its data and downloads."""
    locale: str
    """The catalog's folder under ``locales/`` (a Babel locale): 'zh_Hant_TW', 'en'."""
    prefix: str
    """Where its pages are, under the site's root: '' for Chinese, 'en/' for English."""
    document_code: str
    """The language the PDF and the pages' DC.Language metadata state: 'zh-TW', 'en'."""
    odt_code: str
    """The language the ODT's metadata states (language and country): 'zh-TW', 'en-US'."""

    @property
    def english(self) -> bool:
        return self == EN

    @property
    def other(self) -> Language:
        """The site's other language: where a page's counterpart is."""
        return ZH if self == EN else EN

    def __reduce__(self):
        """Sent to a worker, a language arrives as the worker's own value of it."""
        return language, (self.code,)


ZH = Language("zh-Hant-TW", "zh-Hant", "zh_Hant_TW", "", "zh-TW", "zh-TW")
EN = Language("en", "en", "en", "en/", "en", "en-US")
LANGUAGES = (ZH, EN)
"""The site's languages in its order: Chinese (the original, at the root) first."""


def language(code: str) -> Language:
    """The language whose ``lang`` is ``code`` ('zh-Hant-TW', 'en'); any other is a bug."""
    for lang in LANGUAGES:
        if lang.code == code:
            return lang
    raise ValueError(f"the site has no language {code!r}; it has {', '.join(x.code for x in LANGUAGES)}")


@functools.lru_cache(maxsize=1 << 12)
def link(page: str, path: str) -> str:
    """The shortest relative link from the page at ``page`` to the site path ``path``
    ('en/sitemap/index.html' → 'en/plans/ID/index.html': '../plans/ID/index.html'); a path
    ending in '/' keeps it."""
    relative = posixpath.relpath(path, posixpath.dirname(page) or ".")
    return relative + "/" if path.endswith("/") else relative


def split(path: str) -> tuple[Language, str]:
    """The language a page's path is in, and the path within that language's pages:
    'en/plans/ID/index.html' → (EN, 'plans/ID/index.html')."""
    for lang in LANGUAGES:
        if lang.prefix and path.startswith(lang.prefix):
            return lang, path.removeprefix(lang.prefix)
    return ZH, path


def address(path: str) -> str:
    """A page's address from the site's root, as readers and search engines know it
    (directory style): 'en/plans/ID/index.html' → 'en/plans/ID/'."""
    return path.removesuffix("index.html")


def home(lang: Language) -> str:
    """The list of plans: 'index.html', 'en/index.html'."""
    return f"{lang.prefix}index.html"


def site_page(name: str, lang: Language) -> str:
    """One of the site's own pages (render_html.SITE_PAGES): 'en/glossary/index.html'."""
    return f"{lang.prefix}{name}/index.html"


def not_found(lang: Language) -> str:
    """The page the server shows for an address the site does not have."""
    return f"{lang.prefix}404.html"


def plan_page(plan_id: str, lang: Language) -> str:
    """A plan's page: 'en/plans/mof-2017/index.html'."""
    return f"{lang.prefix}plans/{plan_id}/index.html"


def plan_view(plan_id: str, view: str, lang: Language) -> str:
    """A narrowed view of a plan, ``view`` being its name ('units' or 'deadlines', see
    render_html.plan_views): 'en/plans/mof-2017/units/index.html'."""
    return f"{lang.prefix}plans/{plan_id}/{view}/index.html"


def units_page(slug: str, lang: Language) -> str:
    """An agency's units page: 'en/units/keelung-city-tax-bureau/index.html'."""
    return f"{lang.prefix}units/{slug}/index.html"


def feed(lang: Language) -> str:
    """The Atom feed of the plans in a language: 'feed.xml', 'en/feed.xml'."""
    return f"{lang.prefix}feed.xml"


def asset(name: str) -> str:
    """One of the site's static files (templates/assets/): 'assets/site.css'."""
    return f"assets/{name}"


def badge(suffix: str) -> str:
    """The accessibility badge's image, whatever its file was called: 'assets/accessibility-badge.png'."""
    return asset(f"accessibility-badge{suffix.lower()}")


SEARCH_BUNDLE = "pagefind/"
"""The search index and Pagefind's scripts (plansite.search.BUNDLE)."""
SITEMAP = "sitemap.xml"
"""The site map for search engines (both languages in one)."""
ROBOTS = "robots.txt"
CATALOGUE = "data/plans.json"
"""Every plan with the addresses of its files (render_json.render_catalogue)."""
SCHEMA = "data/plan.schema.json"
"""The JSON Schema of a plan's data."""


def plan_data(plan_id: str, lang: Language, kind: str) -> str:
    """A plan's open data in one language, ``kind`` 'json' or 'csv': 'data/plans/mof-2017.en.csv'.
    The data of both languages sit side by side, told apart by the tag."""
    return f"data/plans/{plan_id}.{lang.tag}.{kind}"


def attachment(plan_id: str, name: str) -> str:
    """A file a plan attaches, under its own name (in both languages): 'downloads/mof-2017/form.pdf'."""
    return f"downloads/{plan_id}/{name}"


def download(plan_id: str, lang: Language, kind: str) -> str:
    """A plan's file in a download format (formats.Format.kind): 'downloads/mof-2017.en.pdf'."""
    return f"downloads/{plan_id}.{lang.tag}.{kind}"
