"""HTML renderer: the plan model → accessible web pages, through Jinja2 templates.

Each ``render_*`` function is a pure function of the model, the site configuration and the
template environment: it returns the page as a string and writes nothing. Inline text is
turned into HTML here, with every piece of content escaped.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import segno
from babel.dates import format_date, format_interval
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from . import formats
from . import model as m
from .cache import digest, fingerprint
from .config import SiteConfig
from .dates import ROC_OFFSET, roc_date
from .i18n import FORGET_AFTER_FAULT, LOCALES, catalog, catalog_path
from .languages import mark_other_language
from .publish import cache_folder
from .search import filter_value
from .site_paths import (
    CATALOGUE,
    EN,
    SCHEMA,
    SEARCH_BUNDLE,
    ZH,
    Language,
    address,
    asset,
    badge,
    feed,
    home,
    language,
    link,
    plan_data,
    plan_page,
    plan_view,
    site_page,
    split,
    units_page,
)
from .site_paths import attachment as attachment_path


def N_(message: str) -> str:
    """Marks a string for the catalogs; it is translated where it is shown."""
    return message


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
"""Every page loads only the site's own files: no third party, no inline script or style. Search
needs 'wasm-unsafe-eval' for Pagefind's WebAssembly. (JSON-LD is data, never run, so allowed.)"""

SITE_PAGES = (
    ("search", N_("Search")),
    ("glossary", N_("Glossary")),
    ("accessibility", N_("Accessibility statement")),
    ("privacy", N_("Privacy and information security policy")),
    ("framework", N_("Plans by measure")),
    ("units", N_("Responsible units")),
    ("deadlines", N_("Deadlines")),
    ("data", N_("Datasets")),
    ("open-data", N_("Open data declaration")),
    ("sitemap", N_("Site map")),
)
"""The site's own pages (each at NAME/index.html in both languages), in the order the footer
and the site map list them; templates/NAME.html renders each."""


@dataclass(frozen=True, slots=True)
class Page:
    """What every page template needs besides its own content."""

    lang: str
    """The page's language: zh-Hant-TW or en."""
    path: str
    """The page's path in the site, e.g. 'en/plans/mof-2017/index.html'."""
    counterpart: str
    """The path of the same page in the other language."""
    translated: bool
    """True when the counterpart is a real translation (hreflang alternates are emitted)."""
    config: SiteConfig
    updated: date
    """The date shown as 'last updated' in the footer."""
    anywhere: bool = False
    """True for a page the server may show at any address (404): its links start at the root."""

    @property
    def root(self) -> str:
        """The path from this page back to the site root ('', '../', '../../' …, or '/' for 404)."""
        if self.anywhere:
            return self.base_path
        return "../" * self.path.count("/")

    @property
    def base_path(self) -> str:
        """The site root's path on its server ('/' unless the site lives in a folder)."""
        return urlsplit(self.config.base_url).path or "/"

    @property
    def language(self) -> Language:
        return language(self.lang)

    @property
    def english(self) -> bool:
        return self.language.english

    @property
    def other_lang(self) -> str:
        return self.language.other.code

    @property
    def url(self) -> str:
        """The page's public address (directory style), as search engines should know it."""
        return self.config.base_url + address(self.path)

    @property
    def counterpart_url(self) -> str:
        return self.config.base_url + address(self.counterpart)

    def text(self, value) -> str:
        """The page language's half of a bilingual setting (site name, address …)."""
        return value.en if self.english else value.zh

    def to(self, path: str) -> str:
        """A link to a site path (site_paths) through the site's root ('../../en/index.html'):
        the header's and footer's links, and files outside the pages (assets, data, downloads)."""
        return self.root + path

    def near(self, path: str) -> str:
        """The shortest relative link to a site path: links within the content
        ('../plans/ID/index.html' from the site map)."""
        return self.to(path) if self.anywhere else link(self.path, path)


NAVIGATION = (
    ("", N_("All plans")),
    ("framework", N_("Plans by measure")),
    ("units", N_("Responsible units")),
    ("deadlines", N_("Deadlines")),
    ("glossary", N_("Glossary")),
    ("search", N_("Search")),
    ("sitemap", N_("Site map")),
)
"""The main navigation in the header, in its order: the list of plans (the home page), the
three views across all plans, and the pages that help find things (ALL at NAME/index.html)."""


@dataclass(frozen=True, slots=True)
class Crumb:
    """One step of a page's breadcrumbs: a page above it (``path`` from the site's root) or,
    last, the page itself (no path)."""

    name: str
    path: str | None = None
    words: bool = True
    """Interface words, translated where shown; a plan's title (False) is shown as it is."""
    lang: str | None = None
    """The language of ``name`` when it is not the page's (an untranslated plan's title)."""


def wayfinding(page: Page, title: str, name: str | None = None,
               plan: m.Plan | None = None) -> tuple[str | None, bool, tuple[Crumb, ...]]:
    """Where a page sits: the main navigation entry it is (True) or falls under (False; a plan
    under the list of plans, an agency's units under the units), or None; and its breadcrumbs,
    home first and itself last, named ``name`` (a template's ``crumb``: an agency's, under
    "Responsible units") or by its title without the site's name (so a template names its page once); a
    narrowed view of a ``plan`` sits under the plan. The home page has none; a 404 page sits
    under the home page."""
    lang = page.language
    within = address(split(page.path)[1])  # 'plans/ID/units/', whichever the language
    title, site_name = escape(name or title), escape(" | " + page.text(page.config.site_name))
    current = Markup(title.removesuffix(site_name))
    top = within.split("/", 1)[0]
    if not within:
        return "", True, ()
    trail = [Crumb(N_("Home"), home(lang))]
    section, exact = None, False
    plan_home = plan_page(plan.id, lang) if plan is not None else ""
    if top == "plans":
        section = ""
        if plan is not None and page.path != plan_home:  # a narrowed view of the plan
            trail.append(Crumb(plan.title, plan_home, False,
                               plan.lang if plan.lang != page.lang else None))
            current = Markup(current.removesuffix(escape(" | " + plan.title)))
    elif top and top in dict(NAVIGATION):
        top_page = site_page(top, lang)
        section, exact = top, page.path == top_page
        if not exact:
            trail.append(Crumb(dict(NAVIGATION)[top], top_page))
    foreign = plan is not None and page.path == plan_home and plan.lang != page.lang
    return section, exact, (*trail, Crumb(current, lang=plan.lang if foreign else None))


def environment(project: Path, lang: str) -> jinja2.Environment:
    """The template environment for one language. Environments are reused (compiling templates
    is the slow part of rendering): Jinja reloads a template whose file changed, and a changed
    catalog gives a new environment."""
    po = catalog_path(project, lang)
    try:  # its change time too: a catalog written with its time put back (touch -r) is another
        info = po.stat()
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    except OSError:
        stamp = None
    return cached_environment(project, lang, stamp)


def compiled_templates(project: Path) -> jinja2.BytecodeCache:
    """Jinja's compiled templates, kept in the cache (``templates/``) for the next build: every
    process of a build compiled them again, a tenth of a second per language and process, on
    the way of a one-plan rebuild. Jinja checks each entry against its template's source; the
    folder is named by plansite's fingerprint (code, Jinja's version), since the environment's
    settings shape the code too, and older ones are removed."""
    folder = cache_folder(project) / "templates"
    current = folder / digest(fingerprint())[:24]
    current.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry != current and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
    return CompiledTemplates(str(current))


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """A write that fails without naming a file (a full disk) names the cache's folder: the
    build would otherwise report it for the site it was writing. A folder removed meanwhile
    (by a build of another plansite on the same cache) only means nothing is kept."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except FileNotFoundError:
            pass
        except OSError as error:
            if error.filename is None:
                error.filename = self.directory
            raise


@functools.lru_cache(maxsize=16)
def cached_environment(project: Path, lang: str, catalog_stamp: tuple | None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(project / "templates"),
        bytecode_cache=compiled_templates(project),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Inline JSON (the JSON-LD) goes through |tojson, which writes < > & ' as \u003c …, so no
    # text can close the script element or open a comment in it; Chinese stays readable.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    strings = catalog(project, lang)
    english = lang == EN.code
    @functools.lru_cache(maxsize=1 << 12)
    def number(count: int) -> str:
        """A count as the language writes it: 80,903, not 80903 (GOV.UK and Canada.ca group
        the thousands; both locales use a comma). Kept: Babel takes 0.1 ms a number, and every
        summary and list of a page counts."""
        return format_decimal(count, locale=LOCALES[lang])

    # Every interface string, in the templates (_(), ngettext()) and in the parts of pages made
    # here (said), is escaped and then filled in as Python's % does, as Jinja's "newstyle"
    # gettext would: a translator's %% is one percent sign wherever the string shows, and a
    # translation that cannot be filled in is an error at its catalog line, not a traceback.
    # Translations are text, so a translator's " or < is escaped too. A count (``%(num)d``) is
    # written in by ``number`` (80,903) before the other values are filled in.
    said = strings.markup
    env.install_gettext_callables(  # type: ignore[attr-defined]
        strings.markup, lambda one, many, n, **values: strings.nmarkup(one, many, n, number(n), **values),
        newstyle=False)
    env.filters["number"] = number
    env.filters["file_size"] = lambda size: file_size(size, lang)
    # plain text is marked, and a cell's text read into spans, where it is shown: many times over
    # (a plan's page, its narrowed views, the pages about all plans), so each text once per language
    @functools.lru_cache(maxsize=1 << 16)
    def mark(text: str) -> Markup:
        return mark_other_language(text, lang)

    made: dict[tuple, Markup] = {}
    templates: dict[int, dict] = {}  # the compiled templates ``made`` holds output of, kept alive
    rows: dict[tuple, tuple[str, tuple]] = {}
    """Action rows as made (see ``action_table``), with the objects their key names by identity."""

    def once(render: jinja2.runtime.Macro, *args) -> Markup:
        """What ``render`` (a macro whose output depends on its arguments and the language
        alone) gives for ``args``, made once: an action's text shows on its plan's page, in its
        narrowed views and in the print edition. Kept under the macro's compiled template
        (its namespace), which is the same from page to page until the template file changes
        (the preview) and Jinja compiles it again."""
        compiled = getattr(getattr(render, "_func", None), "__globals__", None)
        if compiled is None:  # a Jinja that hides it: made every time
            return render(*args)
        key = (id(compiled), render.name, *args)
        html = made.get(key)
        if html is None:
            if len(made) >= 1 << 13:  # a plan's pages come one after another: recent ones suffice
                made.clear()
                templates.clear()
            templates[id(compiled)] = compiled  # its id is never another's while its output is kept
            html = made[key] = render(*args)
        return html

    @functools.lru_cache(maxsize=1 << 14)
    def spans(text: str) -> Markup:
        return inlines(m.spans(text), mark)

    def plan_year(plan: m.Plan) -> str:
        """A plan's year as the page's readers count years: 113年 on Chinese pages, 2024 on English ones."""
        if plan.standing:
            return strings.text(N_("(standing)"))
        return str(plan.year_ad) if english else f"{plan.year}年"

    def on_one_line(text: str) -> Markup:
        return Markup('<span class="ps-nowrap">%s</span>') % text

    def period(deadline: m.Deadline) -> Markup:
        """When a dated deadline falls, in the page's calendar (113年5月1日, May 1, 2024), no date
        broken across lines (an English one only before its year, so that at 200% text on a
        phone it still fits)."""
        start, end = deadline.start, deadline.end
        assert start and end
        if english:
            if deadline.kind == "date":
                words = strings.text(N_("By %(date)s"), date=english_date(end))
            elif deadline.kind == "month":
                words = strings.text(N_("By the end of %(month)s"),
                                     month=format_date(end, "MMMM y", locale=EN.locale))
            else:  # Babel words a period as "May 1 – 31, 2016"; a line may break at the dash
                words = format_interval(start, end, "yMMMd", locale=EN.locale)
            return escape(re.sub(r"(?<=[A-Za-z]) (?=\d\d?\b)", "\u00a0", words))  # May 1, not 2016
        if deadline.kind == "date":
            return said(N_("By %(date)s"), date=on_one_line(roc_date(end)))
        if deadline.kind == "month":
            month = f"{end.year - ROC_OFFSET}年{end.month}月"
            return said(N_("By the end of %(month)s"), month=on_one_line(month))
        last = f"{end.month}月{end.day}日" if end.year == start.year else roc_date(end)
        return said(N_("%(start)s to %(end)s"), start=on_one_line(roc_date(start)), end=on_one_line(last))

    def deadline_words(plan: m.Plan, deadline: m.Deadline | None) -> Markup:
        """An action's deadline in a list of actions: as printed when the plan speaks the page's
        language, a date in the page's calendar, else the kind's name."""
        kind = deadline_kind(deadline)
        if deadline and kind == "dated":
            return period(deadline)
        if deadline is None:
            return said(N_("not given in the plan"))
        if kind == "unknown" or plan.lang != lang:
            return said(KIND_NAMES[kind])
        return spans(deadline.text)

    def group_path(groups: tuple[m.Group, ...]) -> str:
        """Where an action sits in its plan: its groups, outermost first."""
        return " / ".join(m.numbered(g.number, m.plain_text(g.title)) for g in groups)

    @functools.lru_cache(maxsize=1 << 14)
    def deadline_cell(text: str) -> Markup:
        return breakable_range(spans(text))

    number_label = said(N_("No."))
    not_stated = said(N_("Not stated")) + (" " if english else "")

    back_to_top = said(N_("Back to top"))
    back_link = f'  <p class="ps-back"><a href="#main" title="{back_to_top}">{back_to_top}</a></p>\n'

    @jinja2.pass_context
    def action_tree(context: jinja2.runtime.Context, table: m.ActionTable,
                    nodes: tuple[m.Group | m.Action, ...], level: int, path: list[m.Group],
                    blocks: jinja2.runtime.Macro, stale_notice: jinja2.runtime.Macro) -> Markup:
        """An action table's groups and actions: each group a section under a heading one level
        below ``level``, each run of actions one table (:func:`action_table`). Written in
        Python, not as template macros: every plan page, narrowed view and print edition is
        mostly these tables, and the macros' calls per group, row and cell were most of a
        build's rendering (the same HTML in half the time). The template passes its macros for
        the text within (``blocks``, ``stale_notice``); ``notes``, ``stale``, ``cards`` and
        ``back_links`` are the page's. A group always has a title (the plan reader refuses a heading
        of a number alone)."""
        stale: set[str] = context["stale"]
        back_links = "back_links" in context
        out = []
        found = runs(nodes)
        for index, run in enumerate(found):
            if not isinstance(run, m.Group):
                out.append(f"{action_table(context, table, run, path, blocks, stale_notice)}\n")
                continue
            heading = escape(m.numbered(run.number, "")) + inlines(run.title, mark)
            out.append(f'<section class="ps-group ps-group--level{run.level}">\n'
                       f'  <h{level + 1} id="{escape(run.id)}" class="ps-group__title" '
                       f'data-title="{escape(m.numbered(run.number, m.plain_text(run.title)))}">'
                       f'<span class="ps-group__label">{escape(run.label)}</span> {heading}</h{level + 1}>\n'
                       f'  {stale_notice(run.id, "group") if run.id in stale else ""}\n')
            if run.description:
                out.append(f'<div class="ps-group__description">{blocks(run.description, level + 1)}</div>')
            inner = action_tree(context, table, run.children, level + 1, [*path, run], blocks, stale_notice)
            out.append(f"  {inner}\n")
            last = index == len(found) - 1
            if back_links and (run.level == 1 or (run.level == 2 and not last and m.action_count(run) >= 8)):
                out.append(back_link)
            out.append("</section>\n")
        return Markup("".join(out))

    def action_table(context: jinja2.runtime.Context, table: m.ActionTable, actions: list[m.Action],
                     path: list[m.Group], blocks: jinja2.runtime.Macro, stale_notice: jinja2.runtime.Macro
                     ) -> Markup:
        """A run of actions as one table, each action heading its row; a value several actions
        share is one cell spanning their rows (docs/format.md, "Fields shared by several
        actions"), and on a phone, where each row is a card, each card shows the value in the
        column's place (the copies, hidden in the table; not in print, where ``cards`` is
        false)."""
        notes: dict[str, int] = context.get("notes", {})
        stale: set[str] = context["stale"]
        cards = context.get("cards", True)
        columns = table.columns

        def cell(text: str, is_deadline: bool = False) -> str:
            """A cell's text; an editorial note that many rows share is said once (``notes``):
            the cell says "not stated" and links to it."""
            if text in notes:
                number = notes[text]
                reference = said(N_("(note %(number)s)"), number=number)
                return f'{not_stated}<a class="ps-noteref" href="#note-{number}">{reference}</a>'
            return deadline_cell(text) if is_deadline else spans(text)

        def value(action: m.Action, label: str) -> str:
            if label == columns.deadline:
                return cell(action.deadline.text, True)  # type: ignore[union-attr]  # the table has the column
            if label == columns.units:
                if len(action.units) > 1:
                    items = "".join(f"<li>{cell(unit)}</li>" for unit in action.units)
                    return f'<ul class="ps-units">{items}</ul>'
                return cell(action.units[0])
            return "".join(cell(field.value) for field in action.fields if field.label == label)

        def copies(action: m.Action, labels: list[str], own: str | None = None) -> str:
            if not (cards and labels):
                return ""
            out = "".join(f'<div class="ps-shared-copy" data-label="{escape(label)}" data-pagefind-ignore>'
                          f"{value(action, label)}</div>" for label in labels)
            return out + (f'<div class="ps-card-label" aria-hidden="true">{escape(own)}</div>' if own else "")

        numbers = is_numbered(actions)
        action_label = escape(columns.action)
        data_columns = ([columns.deadline] if columns.deadline else []) + (
            [columns.units] if columns.units else []) + list(columns.fields)

        def action_row(action: m.Action) -> str:
            """An action's row after its opening tag (which holds its id)."""
            last, cells = row_cells(action, data_columns)
            out = []
            if numbers:
                out.append(f'<td class="ps-action-table__number" data-label="{number_label}">'
                           f"{escape(action.number)}</td>")
            out.append(f'      <th scope="row" data-label="{action_label}">'
                       f'{"" if numbers else escape(m.numbered(action.number, ""))}'
                       f'{once(blocks, action.body, 6)}\n        '
                       f'{stale_notice(action.id, "action") if action.id in stale else ""}'
                       f'{copies(action, data_columns) if last < 0 else ""}</th>\n')
            for label, spanned, pending, after in cells:
                if spanned == 1:
                    shared = ' class="ps-after-shared"' if pending and cards else ""
                    out.append(f'<td data-label="{escape(label)}"{shared}>{copies(action, pending, label)}'
                               f'{value(action, label)}{copies(action, after)}</td>')
                elif spanned > 1:
                    out.append(f'<td rowspan="{spanned}" data-label="{escape(label)}">'
                               f"{value(action, label)}</td>")
            out.append("    </tr>\n")
            return "".join(out)

        separator = ": " if english else "："
        caption = "".join(escape(m.numbered(group.number, m.plain_text(group.title)))
                          + (separator if index == len(path) - 1 else " / ")
                          for index, group in enumerate(path))
        out = [('<table class="ps-table ps-action-table">\n  <caption class="ps-visually-hidden" '
                f'data-pagefind-ignore>{caption}{action_label}</caption>\n  <thead>\n    <tr>\n'),
               f'      <th scope="col" class="ps-action-table__num">{number_label}</th>\n' if numbers else "",
               f'      <th scope="col">{action_label}</th>\n']
        if columns.deadline:
            out.append(f'      <th scope="col" class="ps-action-table__deadline">'
                       f'{escape(columns.deadline)}</th>\n')
        if columns.units:
            out.append(f'      <th scope="col" class="ps-action-table__units">{escape(columns.units)}</th>\n')
        # a cell a line: search's text runs adjacent cells together ("DeadlineImplementing units")
        out.extend(f'      <th scope="col">{escape(label)}</th>\n' for label in columns.fields)
        out.append("    </tr>\n  </thead>\n  <tbody>\n")
        compiled = getattr(getattr(blocks, "_func", None), "__globals__", None)  # as in ``once``
        table_key = (id(compiled), columns, numbers, cards, tuple(notes.items()))
        for action in actions:
            out.append(f'    <tr id="{escape(action.id)}">\n')
            if compiled is None or action.id in stale:  # a stale notice links to the action's id
                out.append(action_row(action))
                continue
            key = (table_key, id(action.body), id(action.deadline), id(action.units), id(action.fields),
                   action.number, action.shared)
            found = rows.get(key)
            if found is None:
                if len(rows) >= 1 << 14:  # a plan's pages come one after another: recent ones suffice
                    rows.clear()
                found = rows[key] = (action_row(action),
                                     (compiled, action.body, action.deadline, action.units, action.fields))
            out.append(found[0])
        out.append("  </tbody>\n</table>\n")
        return Markup("".join(out))

    colon = ": " if english else "："
    deadline_label = said(N_("Deadline")) + colon
    given_to = said(N_("Responsible")) + colon

    def other_lang(page: Page, plan: m.Plan) -> str:
        return f' lang="{escape(plan.lang)}"' if plan.lang != page.lang else ""

    def link_to(page: Page, plan: m.Plan, groups: tuple[m.Group, ...], action: m.Action, lang: str) -> str:
        """A link to an action on its plan's page, named by its number and words. The number is
        shown before the link, as text (the list is content, not a menu of links), and said as
        part of the link's name: a plan may give the same words to two actions. A plan may
        repeat an action under two groups: the link then names its group too (to screen
        readers, who may list the links alone), so that links reading the same go to one place."""
        number, summary = action.number, action_summary(action)
        gap = "" if number and number[-1] == "、" else " "
        shown = (f'<span class="ps-entries__number" aria-hidden="true"{lang}>{escape(number)}</span>{gap}'
                 if number else "")
        said = f'<span class="ps-visually-hidden">{escape(number)}{gap}</span>' if number else ""
        where = ""
        if groups:
            opening, closing = (" (", ")") if plan.lang == "en" else ("（", "）")
            where = f'<span class="ps-visually-hidden">{opening}{mark(group_path(groups))}{closing}</span>'
        href = escape(page.near(plan_page(plan.id, page.language)))
        return (f'{shown}<a class="ps-entries__action" href="{href}#{escape(action.id)}" '
                f'title="{escape(m.numbered(number, summary))}"{lang}>{said}{mark(summary)}{where}</a>')

    @jinja2.pass_context
    def action_link(context: jinja2.runtime.Context, plan: m.Plan, groups: tuple[m.Group, ...],
                    action: m.Action) -> Markup:
        page = context["page"]
        return Markup(link_to(page, plan, groups, action, other_lang(page, plan)))

    @jinja2.pass_context
    def action_entries(context: jinja2.runtime.Context, plans: list, deadlines: bool = False,
                       words: dict[str, tuple[str, ...]] | None = None) -> Markup:
        """Actions from many plans (the deadlines and units pages), plan by plan under a heading
        each, group by group, each named by its number and words (:func:`link_to`), never a
        bare "1.2". ``deadlines`` shows each action's deadline; ``words`` (by 'PLAN#ACTION')
        the plan's words for the units it is given to. In Python, as the action tables are:
        an agency's units page lists every action of its plans."""
        page: Page = context["page"]
        out = []
        for plan, found in plans:
            lang = other_lang(page, plan)
            href = escape(page.near(plan_page(plan.id, page.language)))
            name = f"{escape(plan.agency.en if english else plan.agency.zh)} {escape(plan_year(plan))}"
            out.append(f'<h3 class="ps-entries__plan"><a href="{href}">{name}</a></h3>\n'
                       '<ul class="ps-entries">\n')
            separator = "、" if plan.lang != "en" else ", "
            for groups, actions in found:
                out.append("  <li>\n")
                if groups:
                    out.append(f'<span class="ps-entries__group"{lang}>{mark(group_path(groups))}</span>')
                out.append('    <ul class="ps-entries__actions">\n')
                for action in actions:
                    out.append(f"      <li>{link_to(page, plan, groups, action, lang)}\n")
                    if deadlines:
                        out.append(f'<span class="ps-entries__detail">{deadline_label}'
                                   f"{deadline_words(plan, action.deadline)}</span>")
                    if words:
                        given = spans(separator.join(words[f"{plan.id}#{action.id}"]))
                        out.append(f'<span class="ps-entries__detail">{given_to}<span{lang}>{given}</span>'
                                   "</span>")
                    out.append("      </li>\n")
                out.append("    </ul>\n  </li>\n")
            out.append("</ul>\n")
        return Markup("".join(out))

    catalogue_name = said(N_("Catalogue of all plans"))
    schema_name = said(N_("Schema of the plan JSON"))
    data_labels = (said(N_("Dataset")), said(N_("Format")), said(N_("Size")))
    # a plan's data in the other language, said so where the eye sees it (it was lang= alone)
    in_other = said(N_("in Chinese")) if english else said(N_("in English"))

    def format_said(kind: Markup, csv: bool, other: bool) -> Markup:
        """'CSV (UTF-8, in Chinese)', 'JSON（英文）': the format, with the encoding and language."""
        extras = ["UTF-8"] * csv + [in_other] * other
        return kind + (Markup(f" ({', '.join(extras)})" if english else f"（{'，'.join(extras)}）") if extras
                       else Markup(""))

    @jinja2.pass_context
    def dataset_rows(context: jinja2.runtime.Context, datasets: list[tuple[str, str, str, int]]) -> Markup:
        """The data page's rows, one per dataset (outputs.datasets): four per plan, made in
        Python since every rebuild makes this page again (it states every plan's sizes). A
        plan's data in the other language than the page's is marked as such (hreflang, lang),
        and its format says so ("JSON (in Chinese)")."""
        page: Page = context["page"]
        dataset_label, format_label, size_label = data_labels
        names = {CATALOGUE: catalogue_name, SCHEMA: schema_name}  # by path: a plan may be titled 'schema'
        out = []
        for what, path, kind, size in datasets:
            name = names[path] if path in names else escape(what)
            other = ""
            if path not in names and english == (".en." not in path):
                code = "en" if ".en." in path else "zh-Hant-TW"
                other = f' hreflang="{code}" lang="{code}"'
            shown = mark(kind)
            said_format = format_said(shown, kind == "CSV", bool(other))
            href = escape(page.to(path))
            out.append(f'    <tr>\n      <th scope="row" data-label="{dataset_label}"><a href="{href}" '
                       f'title="{name} ({escape(kind)})"{other}>{name}'
                       f'<span class="ps-visually-hidden"> ({shown})</span></a></th>\n'
                       f'      <td data-label="{format_label}">{said_format}</td>\n'
                       f'      <td data-label="{size_label}">{escape(file_size(size, lang))}</td>\n'
                       "    </tr>\n")
        return Markup("".join(out))

    env.globals.update(period=period, deadline_words=deadline_words, group_path=group_path, once=once,
                       kind_names=KIND_NAMES, action_tree=action_tree, action_link=action_link,
                       action_entries=action_entries, dataset_rows=dataset_rows)
    env.filters.update(mark=mark, inlines=lambda nodes: inlines(nodes, mark),
                       spans=spans, deadline=deadline_cell,
                       long_date=english_date if english else roc_date)
    env.globals.update(runs=runs, plain_text=m.plain_text, is_numbered=is_numbered, numbered=m.numbered,
                       row_cells=row_cells,
                       page_metadata=page_metadata, wayfinding=wayfinding, navigation=NAVIGATION,
                       action_summary=action_summary, site_pages=SITE_PAGES,
                       plan_year=plan_year, actions_in=m.action_count, excerpt=m.excerpt,
                       heading_label=m.heading_label,
                       # where things are: site_paths, for Page.to and Page.near
                       home=home, site_page=site_page, plan_page=plan_page, plan_view=plan_view,
                       units_page=units_page, feed=feed, plan_data=plan_data, asset=asset, badge_image=badge,
                       ZH=ZH, EN=EN, search_bundle=SEARCH_BUNDLE, pagefind_filter=filter_value,
                       content_security_policy=CONTENT_SECURITY_POLICY)
    env.tests.update(
        paragraph=lambda x: isinstance(x, m.Paragraph),
        list_block=lambda x: isinstance(x, m.ListBlock),
        action_table=lambda x: isinstance(x, m.ActionTable),
        group=lambda x: isinstance(x, m.Group),
    )
    return env


FORGET_AFTER_FAULT.append(cached_environment.cache_clear)


def render_index(env: jinja2.Environment, editions: tuple[m.Edition, ...], page: Page) -> str:
    # newest year first; standing documents (no year) after the yearly plans
    ordered = sorted(editions, key=lambda e: (e.zh.standing, -(e.zh.year or 0), e.zh.agency.zh, e.zh.id))
    counts = {e.zh.id: sum(1 for _ in e.zh.actions()) for e in editions}
    return tidy(env.get_template("index.html").render(page=page, editions=ordered, counts=counts))


def render_plan(env: jinja2.Environment, edition: m.Edition, page: Page, sizes: dict[str, int]) -> str:
    """A plan's page. An English page of an untranslated plan shows the Chinese text, marked.
    ``sizes`` are the byte sizes of the downloads, by path in the site (a PDF's page count
    under 'PATH#pages')."""
    plan = edition.en if page.english and edition.en else edition.zh
    downloads = [(format, format.path(plan)) for format in formats.FORMATS if format.plans(plan)]
    return tidy(env.get_template("plan.html").render(
        page=page, edition=edition, plan=plan, content_lang=plan.lang,
        stale=edition.stale if page.english and edition.en else set(),
        action_count=sum(1 for _ in plan.actions()),
        summary=plan_summary(edition, plan), notes=m.shared_notes(plan),
        views=plan_views(edition),
        contents_context=contents_context(plan),
        downloads=[(format, path, file_size(sizes[path], page.lang), sizes.get(f"{path}#pages"))
                   for format, path in downloads if path in sizes],
        attachments=attachment_rows(plan, page.lang, page.root),
    ))


def attachment_rows(plan: m.Plan, lang: str, root: str) -> list[dict]:
    """What the plan page, the PDF and the ODT say of each attachment: its title (and the
    title's language when it is not the plan's), the format's label (a catalog message), size
    and MIME type, the address (``root`` + the site path; a section: its anchor), and the
    file's language when it is not the page's (an English edition reusing the Chinese file)."""
    rows = []
    for attachment in plan.attachments:
        if attachment.section is not None:
            rows.append({"title": attachment.title, "title_lang": attachment.title_lang,
                         "href": f"#{attachment.section}", "section": attachment.section})
            continue
        format = formats.ATTACHMENT_KINDS.get(attachment.kind or "")
        if format is None:  # never checked (read without the sources): not published
            continue
        rows.append({"title": attachment.title, "title_lang": attachment.title_lang, "section": None,
                     "href": root + attachment_path(plan.id, attachment.file), "label": format.label,
                     "media_type": format.media_type, "size": file_size(attachment.size, lang),
                     "image": format.image, "alt": attachment.alt,
                     "hreflang": attachment.lang if attachment.lang and attachment.lang != lang else None})
    return rows


def unit_slug(unit: str) -> str:
    """A unit's address in its plan (plans/ID/units/SLUG/), from its Chinese name: the same in
    both languages, and stable while the name is (a bookmark outlives edits to the plan)."""
    return hashlib.sha256(unit.encode()).hexdigest()[:8]


def plan_units(edition: m.Edition, plan: m.Plan) -> list[dict]:
    """Every unit the plan names as responsible, with its actions' ids, shown in ``plan``'s
    words but addressed by its Chinese name (an English action's units stand where its
    Chinese action's do): named units most actions first, then those meaning all units."""
    shown = {a.id: a.units for _, a in plan.actions()}
    units: dict[str, dict] = {}
    for _, action in edition.zh.actions():
        names = shown.get(action.id, ())
        for index, unit in enumerate(action.units):
            name = names[index] if len(names) == len(action.units) else unit
            entry = units.setdefault(unit, {"name": name, "slug": unit_slug(unit), "all": is_collective(unit),
                                            "actions": []})
            if action.id not in entry["actions"]:
                entry["actions"].append(action.id)
    return sorted(units.values(), key=lambda u: (u["all"], -len(u["actions"]), u["name"]))


def plan_summary(edition: m.Edition, plan: m.Plan) -> dict:
    """What a plan page says before the details: its actions in the top groups, by kind of
    deadline (the dated ones in time order) and by responsible unit, each with its count."""
    actions = [action for _, action in plan.actions()]

    def counted(nodes) -> list[tuple[m.Group, int]]:
        return [(g, m.action_count(g)) for g in nodes if isinstance(g, m.Group)]

    groups = []  # per section with action tables: its top groups, and theirs when they are few
    for section in plan.sections:
        top = [entry for table in section.blocks if isinstance(table, m.ActionTable)
               for entry in counted(table.children)]
        few = sum(1 for _, count in top if count) < 3
        if top:
            groups.append((section, [(g, n, counted(g.children) if few else []) for g, n in top]))
    kinds = Counter(deadline_kind(a.deadline) for a in actions)  # the deadlines page's kinds and names
    dated = sorted((a for a in actions if a.deadline and a.deadline.end),
                   key=lambda a: (a.deadline.end, a.deadline.start or a.deadline.end))
    return {"count": len(actions), "groups": groups,
            "kinds": [(k, kinds[k]) for k, _ in DEADLINE_KINDS if kinds[k]],
            "dated": dated, "units": plan_units(edition, plan)}


def narrowed(plan: m.Plan, keep: set[str], prefix: str, held: dict[str, set[str]]) -> tuple[m.Section, ...]:
    """The plan's sections cut to the actions in ``keep``: only the action tables, each group
    only with its title and the actions kept under it (a group's description is the plan's to
    say once). Ids take ``prefix``: one page holds many such cuts. ``held``: the ids of the
    actions under each group (:func:`held_actions`), so that a cut walks only the groups it
    keeps (a unit's part of a plan of many units holds few of its groups)."""
    def prune(nodes: tuple[m.Group | m.Action, ...]) -> tuple[m.Group | m.Action, ...]:
        out: list[m.Group | m.Action] = []
        for node in m.respan(tuple(n for n in nodes if not isinstance(n, m.Action) or n.id in keep), nodes):
            if isinstance(node, m.Action):
                out.append(m.evolve(node, id=f"{prefix}-{node.id}"))
            elif not keep.isdisjoint(held.get(node.id, ())):
                children = prune(node.children)
                if children:
                    out.append(m.evolve(node, id=f"{prefix}-{node.id}", children=children, description=()))
        return tuple(out)

    sections = []
    for section in plan.sections:
        tables = [m.evolve(b, children=prune(b.children)) for b in section.blocks
                  if isinstance(b, m.ActionTable)]
        tables = [t for t in tables if t.children]
        if tables:
            sections.append(m.evolve(section, id=f"{prefix}-{section.id}", blocks=tuple(tables)))
    return tuple(sections)


def held_actions(plan: m.Plan) -> dict[str, set[str]]:
    """The ids of the actions under each group of the plan, at any depth, by the group's id."""
    held: dict[str, set[str]] = {}
    for groups, action in plan.actions():
        for group in groups:
            held.setdefault(group.id, set()).add(action.id)
    return held


def plan_views(edition: m.Edition) -> list[str]:
    """A plan's narrowed views (site_paths.plan_view): its actions by responsible unit
    ('units'), and by kind of deadline ('deadlines') when it has more than one kind (one kind
    would be the plan)."""
    actions = [a for _, a in edition.zh.actions()]
    views = ["units"] if any(a.units for a in actions) else []
    if len({deadline_kind(a.deadline) for a in actions}) > 1:
        views.append("deadlines")
    return views


def render_plan_view(env: jinja2.Environment, edition: m.Edition, page: Page, which: str) -> str:
    """A plan's actions by responsible unit (``which`` is 'units') or by kind of deadline, one
    part each, addressed by a fragment (units/#u-SLUG, deadlines/#k-KIND): the style sheet
    shows only the part addressed, so each is a view of the plan's tables narrowed to one unit
    or kind, with no script. Not indexed for search: its text is the plan's, indexed there."""
    plan = edition.en if page.english and edition.en else edition.zh
    summary = plan_summary(edition, plan)
    if which == "units":
        parts = [{"id": f"u-{u['slug']}", "name": u["name"], "all": u["all"], "actions": set(u["actions"])}
                 for u in summary["units"]]
    else:
        parts = [{"id": f"k-{kind}", "kind": kind, "all": False,
                  "actions": {a.id for _, a in plan.actions() if deadline_kind(a.deadline) == kind}}
                 for kind, _ in summary["kinds"]]
    held = held_actions(plan)
    for part in parts:
        part["sections"] = narrowed(plan, part["actions"], part["id"], held)
    notes = m.shared_notes(plan)
    return tidy(env.get_template("plan_view.html").render(
        page=page, edition=edition, plan=plan, content_lang=plan.lang, summary=summary, which=which,
        parts=parts, stale=set(), notes=notes, views=plan_views(edition)))


def contents_context(plan: m.Plan) -> dict[str, str]:
    """Where each contents entry that repeats another's words sits (its section and parent
    groups), by id: two links both reading "Information services" must not sound the same."""
    def label(node) -> str:
        return m.numbered(node.number, m.plain_text(node.title))

    paths: dict[str, tuple[str, str]] = {}

    def walk(nodes, path: tuple[str, ...]) -> None:
        for node in nodes:
            if isinstance(node, m.Group):
                paths[node.id] = (label(node), " / ".join(path))
                walk(node.children, (*path, label(node)))

    for section in plan.sections:
        paths[section.id] = (label(section), "")
        for table in section.blocks:
            if isinstance(table, m.ActionTable):
                walk(table.children, (label(section),))
    counts = Counter(text for text, _ in paths.values())
    return {id: where for id, (text, where) in paths.items() if counts[text] > 1 and where}


def page_metadata(page: Page, plan: m.Plan | None, title: str, whole_plan: bool = True) -> dict:
    """The government 詮釋資料 (DC.* and Category.*) of a page, its canonical address, and the
    schema.org JSON-LD of a plan page (as data: the template writes it with |tojson): what
    search engines and government portals read. A narrowed view of a plan (``whole_plan``
    false) is about the plan but is not the plan: it has its metadata, not its JSON-LD."""
    config = page.config
    english = page.english
    publisher = config.publisher.name.en if english else config.publisher.name.zh
    url = page.url
    subject = "Service quality improvement plans" if english else "提升服務品質計畫"
    covered = plan.coverage if plan else None
    tags = {
        "DC.Title": title,
        "DC.Creator": (plan.agency.en if english else plan.agency.zh) if plan else publisher,
        "DC.Subject": subject,
        "DC.Description": plan.title if plan else (config.site_name.en if english else config.site_name.zh),
        "DC.Contributor": publisher,
        "DC.Type": "text",
        "DC.Format": "text/html",
        "DC.Source": url,
        "DC.Language": page.language.document_code,
        "DC.coverage.t.min": covered[0].isoformat() if covered else "",
        "DC.coverage.t.max": covered[1].isoformat() if covered else "",
        "DC.Publisher": publisher,
        "DC.Date": page.updated.isoformat(),
        "DC.Identifier": plan.id if plan else page.path,
        "DC.Relation": page.counterpart_url,
        "DC.Rights": ("Open Government Data License, version 1.0" if english
                      else "政府資料開放授權條款－第1版"),
        "Category.Theme": (plan.classification.theme if plan else None) or config.classification.theme or "",
        "Category.Cake": (plan.classification.cake if plan else None) or config.classification.cake or "",
        "Category.Service": (plan.classification.service if plan else None) or config.classification.service,
        "Keywords": ", ".join(k for k in (subject,
                                          plan.agency.en if plan and english else
                                          (plan.agency.zh if plan else ""),
                                          str(plan.year_ad or "") if plan else "") if k),
    }
    linked_data = None
    if plan and whole_plan:
        facts = {
            "@context": "https://schema.org",
            "@type": "CreativeWork",
            "name": plan.title,
            "inLanguage": plan.lang,
            "url": url,
            "temporalCoverage": (f"{covered[0].isoformat()}/{covered[1].isoformat()}" if plan.period
                                 else str(plan.year_ad) if plan.year_ad else None),
            "datePublished": plan.issued.isoformat() if plan.issued else None,
            "dateModified": page.updated.isoformat(),
            "author": {"@type": "GovernmentOrganization",
                       "name": plan.agency.en if english else plan.agency.zh},
            "publisher": {"@type": "GovernmentOrganization", "name": publisher},
            "license": config.base_url + address(site_page("open-data", page.language)),
        }
        linked_data = {k: v for k, v in facts.items() if v is not None}
    return {"tags": tags, "canonical": url, "linked_data": linked_data}


DEADLINE_KINDS = (
    ("ongoing", N_("Ongoing or at any time")),
    ("as-needed", N_("When needed")),
    ("every-day", N_("Every day")),
    ("every-week", N_("Every week")),
    ("every-month", N_("Every month")),
    ("every-quarter", N_("Every quarter")),
    ("every-year", N_("Every year")),
    ("dated", N_("By a date or within a period")),
    ("unknown", N_("Deadline could not be confirmed")),
    ("none", N_("No deadline in the plan")),
)
"""The kinds of deadline the deadlines page lists, in its order, each with its name for readers
(a recurring deadline by how often; a date, a month and a period together, in time order)."""

KIND_NAMES = dict(DEADLINE_KINDS)


def deadline_kind(deadline: m.Deadline | None) -> str:
    """The reader's kind of a deadline: one of DEADLINE_KINDS ('none' for a table without one)."""
    if deadline is None:
        return "none"
    if deadline.kind == "recurring":
        return f"every-{deadline.every or 'day'}"
    if deadline.kind in ("date", "month", "range"):
        return "dated"
    return deadline.kind if deadline.kind in KIND_NAMES else "unknown"


Entry = tuple[m.Plan, tuple[m.Group, ...], m.Action]
"""An action where it sits: its plan and its groups (outermost first)."""


def by_plan(entries: list[Entry]) -> list[tuple[m.Plan, list[tuple[tuple[m.Group, ...], list[m.Action]]]]]:
    """Entries under their plan, in the plan's order, consecutive actions of one group together:
    a list a reader can follow (plan, then group, then its actions)."""
    plans: dict[tuple[str, str], tuple[m.Plan, list]] = {}
    for plan, groups, action in entries:
        runs = plans.setdefault((plan.id, plan.lang), (plan, []))[1]
        if runs and runs[-1][0] == groups:
            runs[-1][1].append(action)
        else:
            runs.append((groups, [action]))
    return list(plans.values())


LISTED_UP_TO = 1000
"""The most actions the deadlines page lists one by one: about 0.7 MB of HTML. A national
site's 80,000 actions would make it 60 MB, more than any phone should load (and the longest
task of a build): beyond this the page counts each plan's actions by kind of deadline and
links each count to those actions in the plan, where they are listed."""


def cross_plan(editions: tuple[m.Edition, ...], english: bool) -> dict:
    """What no single plan shows: every action listed under its kind of deadline (and plan and
    group), those with a date in time order; on a site of more than LISTED_UP_TO actions,
    each plan's count of each kind instead (``listed`` is then false). On English pages,
    translated plans speak English; the others are shown in Chinese (and marked so)."""
    kinds: dict[str, list[Entry]] = {}
    for edition in editions:
        plan = edition.en if english and edition.en else edition.zh
        for groups, action in plan.actions():
            kinds.setdefault(deadline_kind(action.deadline), []).append((plan, groups, action))
    order = [kind for kind, _ in DEADLINE_KINDS if kinds.get(kind)]
    counts = [(kind, len(kinds[kind])) for kind in order]
    if sum(count for _, count in counts) > LISTED_UP_TO:
        return {"listed": False, "kinds": counts, "total": sum(count for _, count in counts),
                "counted": {kind: counted(kinds[kind], editions) for kind in order}}
    dated = sorted(kinds.pop("dated", []), key=lambda e: (e[2].deadline.end, e[2].deadline.start, e[0].id))
    periods: dict[tuple, list[Entry]] = {}
    for entry in dated:
        deadline = entry[2].deadline
        periods.setdefault((deadline.kind, deadline.start, deadline.end), []).append(entry)
    return {"listed": True, "kinds": counts,
            "by_plan": {kind: by_plan(entries) for kind, entries in kinds.items()},
            "periods": [(entries[0][2].deadline, entries) for entries in periods.values()]}


def counted(entries: list[Entry], editions: tuple[m.Edition, ...]) -> list[tuple[m.Plan, int, bool, bool]]:
    """(plan, how many of the entries are its, whether it has a deadlines view, whether another
    plan of the list has its name), an agency's plans together (in the order of the Chinese
    names, as the units pages), newest first. A plan of one kind of deadline has no view (it
    would be the plan); two plans of one agency and year need their titles beside."""
    counts: dict[str, list] = {}
    for plan, _, _ in entries:
        counts.setdefault(plan.id, [plan, 0])[1] += 1
    views = {edition.zh.id: "deadlines" in plan_views(edition) for edition in editions
             if edition.zh.id in counts}
    names = Counter((plan.agency, plan.year, plan.standing) for plan, _ in counts.values())
    ordered = sorted(counts.values(), key=lambda entry: listed_order(entry[0]))
    return [(plan, count, views[plan.id], names[plan.agency, plan.year, plan.standing] > 1)
            for plan, count in ordered]


def listed_order(plan: m.Plan) -> tuple:
    """An agency's plans together, agencies in the order of their Chinese names, newest first."""
    return plan.agency.zh, plan.standing, -(plan.year or 0), plan.id


SLUG_LENGTH = 80
"""The longest address an agency's units page takes from its English name: a file name may
not be longer than 255 bytes, and an address is read and typed by people."""


def agencies(editions: tuple[m.Edition, ...]) -> dict[str, tuple[m.Edition, ...]]:
    """Every agency's plans, by the agency's address on the units pages (its English name as
    letters and digits, e.g. 'keelung-city-tax-bureau'), in the order of the Chinese names.
    Units belong to their agency: the 服務科 of two bureaus are two units, so each agency has
    a units page of its own (and a national site's thousands of actions are not one page)."""
    by_name: dict[str, list[m.Edition]] = {}
    for edition in editions:
        by_name.setdefault(edition.zh.agency.zh, []).append(edition)
    found: dict[str, tuple[m.Edition, ...]] = {}
    for name in sorted(by_name):
        words = re.sub(r"[^a-z0-9]+", "-", by_name[name][0].zh.agency.en.lower())
        base = words[:SLUG_LENGTH].strip("-") or "agency"
        slug, count = base, 1
        while slug in found:  # two agencies with one English name
            count += 1
            slug = f"{base}-{count}"
        found[slug] = tuple(by_name[name])
    return found


def unit_pages(editions: tuple[m.Edition, ...]) -> dict[str, tuple[m.Edition, ...]]:
    """The agencies that have a units page: those whose plans name responsible units."""
    return {slug: group for slug, group in agencies(editions).items()
            if any(m.names_units(edition.zh) for edition in group)}


COLLECTIVE = re.compile(r"^[各全]|^(all|every|each)\b|\bof all\b", re.IGNORECASE)
"""A unit that is every unit (of a kind) of the agency: 各單位, 各科室, 各業務科, all units …:
not one unit, so the plan's summary and the units pages list its actions apart."""


def is_collective(unit: str) -> bool:
    return bool(COLLECTIVE.search(unit.strip()))


@dataclass(frozen=True, slots=True)
class UnitView:
    """An agency's actions by responsible unit. Actions given to all units (各單位, 各科室 …) are
    not a unit's: they are listed once, each with the words the plan uses."""

    units: list[tuple[str, list[Entry]]]
    """Every named unit with its actions, most actions first."""
    shared: list[Entry]
    """The actions given to all units (of a kind) of the agency, in plan order."""
    shared_words: dict[str, tuple[str, ...]]
    """The plan's words for 'all units' of each shared action, by 'PLAN-ID#ACTION-ID'."""


def unit_view(editions: tuple[m.Edition, ...], english: bool) -> UnitView:
    """Every unit these plans name as responsible, with its actions; and the actions of all
    units. Plans speak the page's language where they are translated; whether a unit means all
    units is read from the Chinese plan (the English follows its units one for one)."""
    units: dict[str, list[Entry]] = {}
    shared: list[Entry] = []
    words: dict[str, tuple[str, ...]] = {}
    for edition in editions:
        plan = edition.en if english and edition.en else edition.zh
        chinese = {action.id: action.units for _, action in edition.zh.actions()}
        for groups, action in plan.actions():
            entry = (plan, groups, action)
            original = chinese.get(action.id, ())
            if len(original) != len(action.units):
                original = action.units
            together = tuple(unit for unit, zh in zip(action.units, original, strict=True)
                             if is_collective(zh))
            if together:
                shared.append(entry)
                words[f"{plan.id}#{action.id}"] = together
            for unit in action.units:
                if unit not in together:
                    units.setdefault(unit, []).append(entry)
    return UnitView(sorted(units.items(), key=lambda kv: (-len(kv[1]), kv[0])), shared, words)


def units_index(editions: tuple[m.Edition, ...], english: bool) -> dict:
    """The units page: every agency, with its plans, its action count and its units (each
    with its action count; the actions of all units counted once), linking to the agency's
    own units page (when it names units)."""
    rows = []
    pages = unit_pages(editions)
    for slug, group in agencies(editions).items():
        agency = group[0].zh.agency
        view = unit_view(group, english)
        rows.append({"slug": slug, "name": agency.en if english else agency.zh, "plans": len(group),
                     "actions": sum(1 for e in group for _ in e.zh.actions()),
                     "units": [(unit, len(entries)) for unit, entries in view.units],
                     "shared": len(view.shared), "page": slug in pages})
    if english:
        rows.sort(key=lambda row: row["name"].lower())
    return {"agencies": rows}


def render_agency_units(env: jinja2.Environment, group: tuple[m.Edition, ...], page: Page) -> str:
    """One agency's units page: each of its units with its actions in every plan of the agency,
    plan by plan, each action with its group and deadline; the actions of all units first."""
    agency = group[0].zh.agency
    view = unit_view(group, page.english)
    return tidy(env.get_template("agency_units.html").render(
        page=page, agency=agency.en if page.english else agency.zh,
        units=[(unit, len(entries), by_plan(entries)) for unit, entries in view.units],
        shared=by_plan(view.shared), shared_count=len(view.shared), shared_words=view.shared_words,
        crumb=agency.en if page.english else agency.zh))


def framework_view(editions: tuple[m.Edition, ...], frameworks: tuple[m.Framework, ...],
                   english: bool) -> dict:
    """Per framework: the plans mapped onto it, each with its action count per measure (and
    the groups behind each count, to link to), the groups it leaves out and why, and the
    plans that map nothing, with their note. Plans that name no framework come last. The
    editors' words (a why, a note) come as (text, in Chinese on an English page)."""
    views = []
    for framework in frameworks:
        rows, notes = [], []
        for edition in editions:
            plan = edition.en if english and edition.en else edition.zh
            mapping = edition.zh.framework
            if mapping is None or mapping.framework != framework.id:
                continue
            if not mapping.groups:
                notes.append((plan, editors_words(mapping, "", mapping.note, english)))
                continue
            groups = {g.id: g for g in plan.groups()}
            counts = {g.id: m.action_count(g) for g in groups.values()}
            cells = [(measure, [(groups[g], counts[g]) for g, mid, _ in mapping.groups if mid == measure.id])
                     for measure in framework.measures]
            left_out = [(groups[g], counts[g], editors_words(mapping, g, why, english))
                        for g, why, _ in mapping.unmapped]
            rows.append((plan, cells, left_out, editors_words(mapping, "", mapping.note, english)))
        views.append({"framework": framework, "rows": rows, "notes": notes})
    unmapped = [edition.en if english and edition.en else edition.zh
                for edition in editions if edition.zh.framework is None]
    return {"views": views, "unmapped": unmapped}


def editors_words(mapping: m.Mapping, key: str, chinese: str | None,
                  english: bool) -> tuple[str, bool] | None:
    """The editors' note (``key`` '') or a group's why in a mapping, as the page shows it: in
    English on an English page when they gave it, else the Chinese, with True when an English
    page must say it is in Chinese."""
    if chinese is None:
        return None
    given = dict(mapping.english) if english else {}
    return (given[key], False) if key in given else (chinese, english)


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
"""A Chinese character: text holding one is cut as Chinese (see :func:`action_summary`)."""


def action_summary(action: m.Action) -> str:
    """The start of an action's text, for lists that point into a plan: its first paragraph (an
    action with a title paragraph and a list under it is named by its title, not by both run
    together). Chinese is cut anywhere after 60 characters; English, which needs two to three
    times the letters to say as much, after 140, between words ("Provide reading glasses…",
    not "…glasses, magnif…"): cut at 60 as well, it lost what the action does."""
    text = m.blocks_text(action.body[:1]).replace("\n", " ")
    limit = 60 if HAN.search(text) else 140
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if in_a_word(cut[-1]) and in_a_word(text[limit - 1]) and " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def in_a_word(character: str) -> bool:
    """Whether a cut beside ``character`` may fall inside a word that is not Chinese: a letter, a
    digit, or an apostrophe or hyphen ("Government|'s" was a cut inside a word)."""
    return (character.isalnum() and not HAN.match(character)) or character in "'’-"


def render_print(env: jinja2.Environment, plan: m.Plan, page: Page, stamp) -> str:
    """The print edition's HTML (for the PDF), with a QR code linking to the plan's web page."""
    url = page.config.base_url + address(plan_page(plan.id, language(plan.lang)))
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=0)
    return env.get_template("print.html").render(page=page, plan=plan, stale=set(), url=url, qr=qr,
                                                 stamp=stamp.isoformat(), notes=m.shared_notes(plan),
                                                 cards=False,  # no phone cards: no copies of shared cells
                                                 attachments=attachment_rows(plan, plan.lang,
                                                                             page.config.base_url))


def file_size(size: int, lang: str) -> str:
    """48 KB, 1.2 MB, as a reader sees file sizes (a no-break space keeps number and unit together)."""
    if size < 1024 * 1024:
        return kilobytes(max(1, round(size / 1024)))
    return format_decimal(size / 1024 / 1024, format="0.0", locale="en") + "\u00a0MB"


@functools.lru_cache(maxsize=1 << 12)
def kilobytes(count: int) -> str:
    """1,010 KB (as in Chinese too), made once per count: the data page of a thousand plans
    states 4,000 sizes, and Babel's formatting was 40% of rendering it."""
    return format_decimal(count, locale="en") + "\u00a0KB"


def render_page(env: jinja2.Environment, template: str, page: Page, **context) -> str:
    """One of the site's own pages (glossary, site map, statements, 404)."""
    return tidy(env.get_template(template).render(page=page, **context))


def english_date(day: date) -> str:
    """An English date as Babel writes it: May 1, 2023."""
    return format_date(day, "long", locale=EN.locale)


RANGE_SEPARATOR = re.compile(r"(?<=\d)([~～\-–])(?=\d)(?![^<]*>)")
"""The separator of a printed range of dates (105.5.1~105.5.31), outside any tag."""


def breakable_range(html: Markup) -> Markup:
    """A line may break after a range's separator, between its two dates, never inside a date:
    browsers see 105.5.1~105.5.31 as one word, too long for a narrow deadline column."""
    return Markup(RANGE_SEPARATOR.sub(r"\1<wbr>", str(html)))


def tidy(page: str) -> str:
    """Drop the empty lines that nested template macros leave (pages have no <pre>)."""
    return re.sub(r"\n[ \t]*(?=\n)", "", page)


# ---------------------------------------------------------------- helpers for templates


def inlines(nodes: tuple[m.Inline, ...], text=escape) -> Markup:
    """Inline content as HTML. ``text`` turns plain text into safe HTML (escaping it, and on
    English pages marking Chinese words); notes are marked so they stand out."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, m.Text):
            out.append(text(node.text))
        elif isinstance(node, m.Strong):
            out.append(f"<strong>{inlines(node.children, text)}</strong>")
        elif isinstance(node, m.Emphasis):
            out.append(f"<em>{inlines(node.children, text)}</em>")
        elif isinstance(node, m.Code):
            out.append(f"<code>{text(node.text)}</code>")
        elif isinstance(node, m.Link):
            out.append(f'<a href="{escape(node.href)}">{inlines(node.children, text)}</a>')
        elif isinstance(node, m.LineBreak):
            out.append("<br>")
        elif isinstance(node, m.Note):
            out.append(f'<span class="ps-note">{text(node.text)}</span>')
    return Markup("".join(out))


def runs(children: tuple[m.Group | m.Action, ...]) -> list[m.Group | list[m.Action]]:
    """A group's children with consecutive actions gathered into one list (one table each)."""
    out: list[m.Group | list[m.Action]] = []
    for child in children:
        if isinstance(child, m.Group):
            out.append(child)
        elif out and isinstance(out[-1], list):
            out[-1].append(child)
        else:
            out.append([child])
    return out


Cell = tuple[str, int, list[str], list[str]]
"""A data column of an action's row: label, rows spanned, shared columns before, columns after."""


def row_cells(action: m.Action, columns: list[str]) -> tuple[int, list[Cell]]:
    """How an action's row lays out its data columns, for the template's table: the index of its
    last cell of its own (-1: none), and per column (label, rows its cell spans as
    :meth:`model.Action.rows` says, the shared columns just before it, the columns after it when
    it is that last cell): a card on a phone shows those shared values in their places."""
    spans = [action.rows(label) for label in columns]
    last = max((i for i, rows in enumerate(spans) if rows == 1), default=-1)
    cells, pending = [], []
    for index, (label, rows) in enumerate(zip(columns, spans, strict=True)):
        if rows == 1:
            cells.append((label, rows, pending, columns[index + 1:] if index == last else []))
            pending = []
        else:
            cells.append((label, rows, [], []))
            pending = [*pending, label]
    return last, cells


def is_numbered(actions: list[m.Action]) -> bool:
    """A run of actions gets a 項次 column only when every action carries a number."""
    return all(action.number for action in actions)


def template_location(error: jinja2.TemplateError, project: Path) -> tuple[str, int]:
    """Where in a template the error is: syntax errors say so; for errors while rendering,
    Jinja puts the template's own file and line into the traceback."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return as_shown(Path(error.filename), project), error.lineno
    templates = str(project / "templates")
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(templates):
            return as_shown(Path(frame.filename), project), frame.lineno or 1
    return "templates", 1


def as_shown(path: Path, project: Path) -> str:
    """A template's path relative to the project, as problems name files."""
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)
