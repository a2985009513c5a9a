"""The outputs of a site: every page and data file, by group (a plan's pages and data, an
agency's units pages) with the key of what each group depends on, and the pages about all
plans, the assets and the badge; rendered on all cores (see :func:`generated`)."""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import jinja2

from . import model as m
from .attachments import attached_files
from .cache import Store
from .config import SiteConfig
from .errors import ContentError, Problem
from .formats import page_count
from .i18n import catalog, fill_faults
from .inputs import hidden
from .project import last_updated
from .publish import (
    digest,
)
from .render_csv import HEADERS, render_plan_csv
from .render_feeds import render_feed, render_robots, render_sitemap
from .render_html import (
    SITE_PAGES,
    Page,
    cross_plan,
    environment,
    framework_view,
    plan_views,
    render_agency_units,
    render_index,
    render_page,
    render_plan,
    render_plan_view,
    template_location,
    unit_pages,
    units_index,
)
from .render_json import render_catalogue, render_plan_json
from .search import filter_choices
from .site_paths import (
    CATALOGUE,
    EN,
    LANGUAGES,
    ROBOTS,
    SITEMAP,
    ZH,
    Language,
    asset,
    badge,
    feed,
    home,
    language,
    not_found,
    plan_data,
    plan_page,
    plan_view,
    site_page,
    units_page,
)
from .site_paths import SCHEMA as SCHEMA_PATH

SCHEMA = Path(__file__).parent / "data" / "plan.schema.json"
from .sources import Loaded
from .workers import collected_after, workers


def download_sizes(files: dict[str, bytes]) -> dict[str, int]:
    """The downloads' sizes in bytes by path, and each PDF's page count under 'PATH#pages': the
    plan pages state both."""
    sizes = {path: len(content) for path, content in files.items()}
    for path, content in files.items():
        pages = page_count(path, content)
        if pages:
            sizes[f"{path}#pages"] = pages
    return sizes


def output_groups(loaded: Loaded) -> dict[str, tuple[m.Edition, ...]]:
    """The outputs that depend on one or a few plans, by name, with those plans: each plan's
    pages and data (named by its id), and each agency's units pages ('units/SLUG'). A build
    reuses a group's files while its plans did not change."""
    groups = {f"units/{slug}": group for slug, group in unit_pages(loaded.editions).items()}  # longest first
    groups.update((edition.zh.id, (edition,)) for edition in loaded.editions)
    return groups


def group_outputs(project: Path, loaded: Loaded, name: str, group: tuple[m.Edition, ...],
                  sizes: dict[str, int], updated: date) -> Iterator[tuple[str, str]]:
    """The files of one output group (see :func:`output_groups`)."""
    if name.startswith("units/"):
        return agency_outputs(project, loaded, name.removeprefix("units/"), group, updated)
    return plan_outputs(project, loaded, group[0], sizes, updated)


def plan_outputs(project: Path, loaded: Loaded, edition: m.Edition, sizes: dict[str, int],
                 updated: date, views: bool = True) -> Iterator[tuple[str, str | bytes]]:
    """One plan's data (JSON and CSV per language), its attached files, and its page in both
    languages: all that depends on this plan alone. ``sizes`` need hold only its downloads.
    Without ``views``, not its narrowed views (the preview's quick update, which leaves them
    to the next)."""
    attached: dict[str, Path] = {}
    for plan in (edition.zh, edition.en):
        if plan is not None:
            own = language(plan.lang)
            yield plan_data(plan.id, own, "json"), render_plan_json(plan, loaded.config.base_url)
            yield plan_data(plan.id, own, "csv"), render_plan_csv(plan)
            attached.update(attached_files(project, plan))
    for path, source in attached.items():  # the group's key covers their bytes (attachments.check_files)
        yield path, source.read_bytes()
    plan_id, translated = edition.zh.id, edition.en is not None
    for lang in LANGUAGES:
        page = Page(lang.code, plan_page(plan_id, lang), plan_page(plan_id, lang.other), translated,
                    loaded.config, updated)
        yield page.path, render_plan(environment(project, lang.code), edition, page, sizes)
        for which in plan_views(edition) if views else ():
            page = Page(lang.code, plan_view(plan_id, which, lang), plan_view(plan_id, which, lang.other),
                        translated, loaded.config, updated)
            yield page.path, render_plan_view(environment(project, lang.code), edition, page, which)


def agency_outputs(project: Path, loaded: Loaded, slug: str, group: tuple[m.Edition, ...],
                   updated: date) -> Iterator[tuple[str, str]]:
    """One agency's units page in both languages: it depends on the agency's plans alone."""
    for lang in LANGUAGES:
        page = Page(lang.code, units_page(slug, lang), units_page(slug, lang.other), True, loaded.config,
                    updated)
        yield page.path, render_agency_units(environment(project, lang.code), group, page)


def catalogue(loaded: Loaded, sizes: dict[str, int]) -> Iterator[tuple[str, str]]:
    """The list of every plan and the schema of the plan data (their sizes go into ``sizes``)."""
    for path, text in ((CATALOGUE, render_catalogue(loaded.editions, loaded.config.base_url)),
                       (SCHEMA_PATH, SCHEMA.read_text(encoding="utf-8"))):
        sizes[path] = len(text.encode("utf-8"))
        yield path, text


def site_outputs(project: Path, loaded: Loaded, sizes: dict[str, int], updated: date,
                 pages: set[str] | None = None, langs: tuple[Language, ...] = LANGUAGES
                 ) -> Iterator[tuple[str, str]]:
    """The pages about all plans (home, site map, units, deadlines …), the site's other pages,
    the feeds and the site map for search engines; only the pages named in ``pages`` (in the
    languages ``langs``) when given. The site-wide files (sitemap.xml, robots.txt) go with
    Chinese."""
    def wanted(name: str) -> bool:
        return pages is None or name in pages

    for lang in LANGUAGES:
        if lang not in langs:
            continue
        env = environment(project, lang.code)

        def page(path: Callable[[Language], str], lang: Language = lang) -> Page:
            return Page(lang.code, path(lang), path(lang.other), True, loaded.config, updated)

        if wanted("index"):
            index = page(home)
            yield index.path, render_index(env, loaded.editions, index)
        if wanted("sitemap"):
            sitemap = page(functools.partial(site_page, "sitemap"))
            yield sitemap.path, render_page(env, "sitemap.html", sitemap, editions=loaded.editions)
        for name, _ in SITE_PAGES:
            if name == "sitemap" or not wanted(name):  # the site map lists plans: rendered above
                continue
            own = page(functools.partial(site_page, name))
            values = page_values(project, loaded, sizes, name, lang.english)
            yield own.path, render_page(env, f"{name}.html", own, **values)
        if wanted("404"):
            missing = replace(page(not_found), anywhere=True)
            yield missing.path, render_page(env, "404.html", missing)
    if wanted("feeds"):
        if ZH in langs:
            yield SITEMAP, render_sitemap(loaded.editions, loaded.config, updated)
            yield ROBOTS, render_robots(loaded.config)
        for lang in LANGUAGES:
            if lang in langs:
                yield feed(lang), render_feed(loaded.editions, loaded.config, lang.code, updated)


def page_values(project: Path, loaded: Loaded, sizes: dict[str, int], name: str, english: bool) -> dict:
    """What the template of one of the site's own pages is given."""
    if name == "glossary":  # an English reader looks a term up by its English
        return {"terms": sorted(loaded.glossary, key=lambda term: term.en.casefold()) if english
                else loaded.glossary}
    if name == "data":
        return {"datasets": datasets(loaded, sizes),
                "csv_columns": csv_columns(project, (EN if english else ZH).code)}
    if name == "units":
        return units_index(loaded.editions, english)
    if name == "deadlines":
        return cross_plan(loaded.editions, english)
    if name == "framework":
        return framework_view(loaded.editions, loaded.frameworks, english)
    if name == "search":
        return {"choices": filter_choices(loaded.editions, english)}
    return {}


def csv_columns(project: Path, lang: str) -> list[tuple[str, str]]:
    """The CSV header of this language, each column with what it holds."""
    _ = catalog(project, lang).text  # filled in as the templates' _() fills in
    meanings = (_("the plan's id"), _("the action's id (its anchor on the plan's page)"),
                _("the action's number as printed"), _("the groups the action belongs to, outermost first"),
                _("the action's text"), _("the deadline as printed"),
                _("the first day of the period the deadline names (YYYY-MM-DD), if it names one"),
                _("the last day of that period"), _("the responsible units"))
    return list(zip(HEADERS[lang], meanings, strict=True))


def datasets(loaded: Loaded, sizes: dict[str, int]) -> list[tuple[str, str, str, int]]:
    """(what, path, format, size) of every dataset, for the data page: the catalogue, the
    schema, and each plan's data under its title (the page names the first two by their path)."""
    rows = [("catalogue", CATALOGUE, "JSON", sizes.get(CATALOGUE, 0)),
            ("schema", SCHEMA_PATH, "JSON Schema", sizes.get(SCHEMA_PATH, 0))]
    for edition in loaded.editions:
        for plan in (edition.zh, edition.en):
            if plan is not None:
                for kind in ("json", "csv"):
                    path = plan_data(plan.id, language(plan.lang), kind)
                    rows.append((plan.title, path, kind.upper(), sizes.get(path, 0)))
    return rows


def assets(project: Path, config: SiteConfig) -> Iterator[tuple[str, bytes]]:
    """The site's static files (stylesheets, scripts, fonts, pictures) and the badge; a hidden
    file (:func:`inputs.hidden`) is none of them."""
    source = project / "templates" / "assets"
    for folder, folders, names in os.walk(source):
        folders[:] = [name for name in folders if not hidden(name)]
        for name in sorted(name for name in names if not hidden(name)):
            path = os.path.join(folder, name)
            with open(path, "rb") as file:
                yield asset(os.path.relpath(path, source).replace(os.sep, "/")), file.read()
    if config.badge:
        yield badge(config.badge.image.suffix), (project / config.badge.image).read_bytes()


def generated(project: Path, loaded: Loaded, files: dict[str, bytes], published: Path,
              reused: dict[str, list[str]], made: dict[str, list[str]]) -> Iterator[tuple[str, bytes | Path]]:
    """Every generated page and data file, as :func:`outputs` makes them, but on all cores: the
    workers render the output groups (plans, agencies' units pages) and the pages about all
    plans side by side. The groups in ``reused`` are not rendered: their files are given as
    paths in the ``published`` site, while the workers render the rest (linking a thousand
    plans' files took as long as rendering the one that changed). ``made`` receives every
    group's output paths."""
    updated = last_updated(project)
    sizes = download_sizes(files)  # all the workers need: the pages state the downloads' sizes
    groups = output_groups(loaded)
    todo = [name for name in groups if name not in reused]
    listings = [task for task in range(len(SITE_TASKS)) if site_task(task) not in reused]
    state = (project, loaded, groups, sizes, updated)
    with workers(share, state) as pool:
        if pool is None:
            batches = itertools.chain((render_group_outputs(name, state) for name in todo),
                                      (render_site_outputs(task, state) for task in listings))
        else:  # the pages about all plans are the longest tasks: they start first
            started = [pool.submit(render_site_outputs, task) for task in listings]
            chunk = max(1, min(4, len(todo) // 8))  # a few groups (one plan changed): one a worker
            batches = itertools.chain(pool.map(render_group_outputs, todo, chunksize=chunk),
                                      (task.result() for task in started))
        for name in [*groups, *(site_task(task) for task in range(len(SITE_TASKS)))]:
            for path in reused.get(name, ()):
                made.setdefault(name, []).append(path)
                file = published / path
                if path.startswith("data/"):  # the data page, made last, states their sizes
                    sizes[path] = os.stat(file).st_size
                yield path, file
        names = [*todo, *(site_task(task) for task in listings)]
        problems: list[Problem] = []  # every task's (ContentError tells a template error all meet once)
        for name, batch in zip(names, batches, strict=True):
            if isinstance(batch, ContentError):
                problems += batch.problems
                continue
            for path, data in batch:
                if path.startswith("data/"):  # the data page states their sizes
                    sizes[path] = len(data)
                made.setdefault(name, []).append(path)
                yield path, data
    try:  # made here, after the workers' pages (with what sizes they had, if one failed)
        with template_errors(project), fill_faults():
            last = list(itertools.chain(catalogue(loaded, sizes),
                                        site_outputs(project, loaded, sizes, updated, pages={"data"})))
    except ContentError as error:
        problems += error.problems
    if problems:
        raise ContentError(problems)
    for path, text in last:
        yield path, text.encode("utf-8")


def group_keys(project: Path, loaded: Loaded, files: dict[str, bytes], shared: str,
               summaries: Summaries | None = None) -> dict[str, str]:
    """Per output group, a hash of everything its files depend on: its plans' files, the dates
    shown, their downloads' sizes, and everything in the project that is not a plan
    (templates, catalogs, glossary, settings), plansite's code and the tools' versions. Other
    plans are not in it: a group's files never show them. ``shared`` is the hash of the rest
    (the second hash of ``publish.digest_project``: all but the plans). The pages about all
    plans (a group per language, :func:`site_task`) depend on every plan's
    :func:`listing_summary` instead: an edit to a plan's prose leaves them as they are.
    ``summaries`` keeps those by what each edition is made from (``Loaded.made_from``), so that
    a rebuild summarises only the plans that changed."""
    updated = last_updated(project)
    listed = [listing_summary(edition) if summaries is None else summaries.of(edition, loaded)
              for edition in loaded.editions]
    if summaries is not None:
        summaries.forget_all_but(loaded)
    by_plan: dict[str, list[tuple[str, int]]] = {}  # downloads/ID.LANG.KIND
    for path, data in sorted(files.items()):
        by_plan.setdefault(path.rpartition("/")[2].partition(".")[0], []).append((path, len(data)))
    keys = {}
    for name, group in output_groups(loaded).items():
        parts = []
        for edition in group:
            sources = [loaded.sources.get(plan.loc.path, "") if plan else "-"
                       for plan in (edition.zh, edition.en)]
            downloads = by_plan.get(edition.zh.id, [])
            parts.append((edition.zh.id, *sources, edition.source_updated, downloads))
        if all("" not in part for part in parts):  # a file read without the cache is always rendered
            keys[name] = digest(shared, name, updated, *parts)
    if all(loaded.sources.get(e.zh.loc.path) for e in loaded.editions):
        for task in range(len(SITE_TASKS)):
            keys[site_task(task)] = digest(shared, site_task(task), updated, *listed)
    return keys


LOCATION = re.compile(r"""Location\(path=(?:'[^'\\]*'|"[^"\\]*"), line=\d+\)""")
"""A model's place in its file, as repr writes it: none of a plan's text (a title 'Location(1F)'
is a text's repr, quoted, and ends in no line number)."""


def listing_summary(edition: m.Edition) -> str:
    """A hash of what the pages about all plans can show of a plan: all of it but the text of
    its sections (their action tables are kept) and the lines things stand on in its files."""
    def listed(plan: m.Plan | None) -> str:
        if plan is None:
            return "-"
        tables = tuple(m.evolve(section, blocks=tuple(block for block in section.blocks
                                                      if isinstance(block, m.ActionTable)))
                       for section in plan.sections)
        return LOCATION.sub("", repr(m.evolve(plan, sections=tables)))

    return digest(listed(edition.zh), listed(edition.en), edition.source_updated.isoformat())


class Summaries:
    """Each plan's :func:`listing_summary`, by what its edition is made from
    (``Loaded.made_from``): in memory for the preview's next save, and in the cache's store for
    the next build, which then summarises only the plans that changed (hashing a plan's model
    is most of what a rebuild after one edit spent on the pages about all plans)."""

    def __init__(self, store: Store):
        self.store = store
        self.known: dict[str, str] = {}

    def of(self, edition: m.Edition, loaded: Loaded) -> str:
        made_from = loaded.made_from.get(edition.zh.id)
        if made_from is None:  # read without the cache: summarised every time
            return listing_summary(edition)
        if made_from in self.known:
            self.store.keep(made_from)
        else:
            self.known[made_from] = self.store.get_or_make(made_from, lambda: listing_summary(edition))
        return self.known[made_from]

    def forget_all_but(self, loaded: Loaded) -> None:
        """Keep in memory only the summaries of the editions loaded now."""
        current = set(loaded.made_from.values())
        self.known = {key: value for key, value in self.known.items() if key in current}


def site_task(task: int) -> str:
    """The output group of one of SITE_TASKS: the pages about all plans in one language."""
    return f"pages about all plans/{SITE_TASKS[task][1][0].code}"


SHARED: tuple = ()
"""In a worker: (project, loaded, output groups, sizes of the downloads, date last updated),
inherited from the build."""

EVERY_PAGE_BUT_DATA = {name for name, _ in SITE_PAGES if name != "data"} | {"index", "404", "feeds"}
SITE_TASKS = tuple((EVERY_PAGE_BUT_DATA, (lang,)) for lang in LANGUAGES)
"""The pages about all plans and the site's own but the data page, in a task per language for
the workers."""


def share(*state) -> None:
    global SHARED
    SHARED = state


def render_group_outputs(name: str, state: tuple = ()) -> list[tuple[str, bytes]] | ContentError:
    """One output group's files, encoded: in a worker (``state`` shared), or here (``state``
    given). Its problems are returned, to be told with every other task's."""
    project, loaded, groups, sizes, updated = state or SHARED
    try:
        with template_errors(project), fill_faults(), collected_after():
            return [(path, text.encode("utf-8") if isinstance(text, str) else text)
                    for path, text in group_outputs(project, loaded, name, groups[name], sizes, updated)]
    except ContentError as error:
        return error


def render_site_outputs(task: int, state: tuple = ()) -> list[tuple[str, bytes]] | ContentError:
    """One of SITE_TASKS, encoded (the data page, which states the sizes of every plan's data,
    is made last, by the build itself); or its problems, as :func:`render_group_outputs`."""
    project, loaded, _, sizes, updated = state or SHARED
    pages, langs = SITE_TASKS[task]
    try:
        with template_errors(project), fill_faults():
            return [(path, text.encode("utf-8"))
                    for path, text in site_outputs(project, loaded, sizes, updated, pages=pages, langs=langs)]
    except ContentError as error:
        return error


@contextmanager
def template_errors(project: Path) -> Iterator[None]:
    """A template error as a problem at its line: in a worker, where the traceback that tells
    the line is still at hand (it does not survive the way back to the build)."""
    try:
        yield
    except jinja2.TemplateError as error:
        where, line = template_location(error, project)
        raise ContentError([Problem(where, line, f"template error: {error.message}")]) from None
