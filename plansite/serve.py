"""Live preview: ``python build.py serve`` rebuilds what a save changed and reloads the browser.

- watchfiles watches content/, templates/, locales/ and site.yml, and hands each batch of
  changes to :class:`Preview`, which keeps the last good state in memory and re-reads only
  the changed plan files. Pages are re-rendered only where they depend on what changed, and a
  file is written only when its text differs, so an edit touches just that plan's pages (and
  the indexes when a title changes).
- ODT, PDF, the views of many plans' actions (the agency's units pages, the units index,
  deadlines, framework) and the search index are remade in a background thread; until a new
  one is ready, the old one is served, so download links and search always work.
- tornado serves the site, through our own handlers that treat every request as hostile (see
  :class:`PreviewRules`), and livereload's socket reloads every open page right after a rebuild
  (our watcher tells it when). While content is broken, every page shows an accessible error
  page with the same ``path:line`` messages as the command line, and turns back into the page
  by itself once the file is fixed.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ipaddress
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

import jinja2
from livereload.handlers import LiveReloadHandler
from markupsafe import escape
from tornado import ioloop, web
from tornado.httpserver import HTTPServer
from tornado.websocket import WebSocketHandler

from . import model as m
from .config import load_config
from .content import (
    cannot_read,
    check_mappings,
    load_frameworks,
    load_glossary,
)
from .errors import ContentError, Problem
from .inputs import MAX_SETTINGS_BYTES, read_source
from .project import CONFIG_FILE, FRAMEWORKS_FILE, GLOSSARY_FILE, PLANS_DIR
from .publish import Stamp, cache_folder, digest_project, prepare_output
from .render_html import environment, template_location
from .search import index_site
from .site import (
    CHINESE,
    CheckCache,
    Loaded,
    PlanCache,
    build,
    lasting_objects,
    make_downloads,
    outputs,
    view_outputs,
)
from .translation import ENGLISH, editions, status_table

WATCHED = ("content", "templates", "locales", CONFIG_FILE)


@dataclass
class Preview:
    """The preview's state: the last good build, and the problems of the current sources."""

    project: Path
    site: Path
    downloads: bool = True
    plans: dict[Path, tuple[bytes, m.Plan | None, list[Problem]]] = field(default_factory=dict)
    """Plan file → (its bytes, its plan, its problems), so unchanged files are not read again."""
    loaded: Loaded | None = None
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    """The downloads as last made."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while downloads are being remade."""
    building: threading.RLock = field(default_factory=threading.RLock)
    """Held for a rebuild: the watcher and the download thread never rebuild at once."""
    written: list[str] = field(default_factory=list)
    """The site paths the last rebuild wrote (for tests and the console)."""
    settings: dict[Path, tuple[bytes, object]] = field(default_factory=dict)
    """site.yml and the glossary, read again only when their bytes change."""
    translated: dict[str, tuple[tuple[bytes, ...], m.Edition, list[Problem]]] = field(default_factory=dict)
    """Plan id → (its files' bytes, its edition, its warnings): the translation stage reruns per plan."""
    environment_changed: bool = True
    """True when templates, catalogs or settings changed: every page is rendered again."""
    listings: dict[str, tuple] = field(default_factory=dict)
    """Plan id → what the index and site map show of it."""
    saves: int = 0
    """How many saves the watcher has seen: the search index waits for them to stop."""
    views_stale: set[str] = field(default_factory=set)
    """The agencies (by Chinese name) whose plans changed since the pages showing many plans'
    actions (site.view_outputs) were last written: at a thousand plans those take seconds, so
    they are brought up to date in the background, with the search index."""

    def __post_init__(self) -> None:
        self.project, self.site = self.project.resolve(), self.site.resolve()  # as watchfiles names files
        self.cache = PlanCache(self.project, freeze=False)  # the first load freezes (see start)

    def start(self) -> None:
        """The first, full build (downloads included), then the preview's own state. When no
        file changed since that build, its site is what the preview would render, so nothing is
        rendered again: at a thousand plans that took over a minute before the first page."""
        build(self.project, self.site, downloads=self.downloads)
        self.files = {p.relative_to(self.site).as_posix(): p.read_bytes()
                      for p in (self.site / "downloads").glob("*") if p.is_file()}
        with self.building, lasting_objects():  # the plans as built last until they are edited
            try:
                loaded, _ = self.load()
            except ContentError:  # changed since the build: the rebuild shows the problems
                loaded = None
            if loaded is not None and Stamp(self.project, self.site, False, self.downloads).unchanged():
                self.listings = {edition.zh.id: listing(edition) for edition in loaded.editions}
                self.loaded, self.problems, self.environment_changed = loaded, [], False
                for lang in (CHINESE, ENGLISH):  # compiled now, so the first save is as quick as the next
                    env = environment(self.project, lang)
                    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
                        env.get_template(name)
                return
        self.rebuild()

    def rebuild(self, saved: set[Path] | None = None) -> bool:
        """Re-read what changed (``saved``: the files a save touched; None: check all) and
        rewrite the pages whose text changed. True when it built. An unexpected error (a bug)
        is shown on the error page like a content problem: the preview keeps running."""
        with self.building:
            try:
                return self._rebuild(saved)
            except Exception as error:  # noqa: BLE001 - the preview must outlive its own bugs
                traceback.print_exc()
                self.problems = [Problem("plansite", 1, f"internal error: {error!r}",
                                         "this is a bug in plansite; the error is printed where serve runs")]
                return False

    def _rebuild(self, saved: set[Path] | None) -> bool:
        started = time.perf_counter()
        try:
            before = {i: self.listings.get(i) for i in self.translated}
            loaded, changed = self.load(saved)
            whole = self.environment_changed or self.loaded is None
            for edition in loaded.editions:
                if edition.zh.id in changed or edition.zh.id not in self.listings:
                    self.listings[edition.zh.id] = listing(edition)
            after = {i: self.listings.get(i) for i in self.translated}
            texts: dict[str, str | bytes] = dict(outputs(self.project, loaded, self.files,
                                                         None if whole else changed, listings=before != after))
            if not whole:  # the views of many plans' actions take seconds: they follow in the background
                agencies = {shown[AGENCY].zh for i in changed for shown in (before.get(i), after.get(i)) if shown}
                self.views_stale |= agencies  # the agency a plan had, and has now
        except ContentError as error:
            self.problems = error.problems
            return False
        except jinja2.TemplateError as error:
            where, line = template_location(error, self.project)
            self.problems = [Problem(where, line, f"template error: {error.message}")]
            return False
        if whole:  # the static assets (CSS, script) may have changed too
            assets = self.project / "templates" / "assets"
            texts.update({f"assets/{p.relative_to(assets).as_posix()}": p.read_bytes()
                          for p in assets.rglob("*") if p.is_file()})
        self.loaded, self.problems, self.environment_changed = loaded, [], False
        self.written = write_changed(self.site, texts)
        print(f"rebuilt in {1000 * (time.perf_counter() - started):.0f} ms: "
              f"{len(self.written)} page{'s' if len(self.written) != 1 else ''} changed", flush=True)
        return True

    def setting(self, path: Path, loader):
        """A settings file, loaded again only when its bytes changed."""
        try:  # never waits: a named pipe is left for the loader to report
            data = read_source(path, MAX_SETTINGS_BYTES)
        except OSError as error:
            data = repr(error).encode()
        known = self.settings.get(path)
        if known is None or known[0] != data:
            self.environment_changed = True
            try:
                known = (data, loader(self.project))
            except ContentError as error:
                known = (data, error)
            self.settings[path] = known
        return known[1]

    def load(self, saved: set[Path] | None = None) -> tuple[Loaded, set[str]]:
        """Like site.load, but a file is read again only when its bytes changed, and translation
        status is worked out again only for the plans whose files changed. Also returns the ids
        of the plans that changed."""
        problems: list[Problem] = []
        config = self.setting(self.project / CONFIG_FILE, load_config)
        glossary = self.setting(self.project / GLOSSARY_FILE, load_glossary)
        frameworks = self.setting(self.project / FRAMEWORKS_FILE, load_frameworks)
        for value in (config, glossary, frameworks):
            if isinstance(value, ContentError):
                problems += value.problems
        current = sorted((self.project / PLANS_DIR).glob("*.md"))
        unread: list[tuple[Path, bytes]] = []
        for path in current:
            known = self.plans.get(path)
            if known is not None and saved is not None and path not in saved:
                continue
            if (refused := cannot_read(self.project, path)) is not None:
                problems.append(refused)
                self.plans.pop(path, None)
                continue
            data = path.read_bytes()
            if known is None or known[0] != data:
                unread.append((path, data))
        # through the build's cache: the first load of a thousand plans reads them in a second
        read = self.cache.read([path for path, _ in unread],
                               [path.relative_to(self.project).as_posix() for path, _ in unread], None)
        for (path, data), (plan, found) in zip(unread, read, strict=True):
            self.plans[path] = (data, plan, found)
        plans = []
        for path in current:
            if (known := self.plans.get(path)) is not None:
                problems += known[2]
                if known[1]:
                    plans.append(known[1])
        for gone in set(self.plans) - set(current):
            del self.plans[gone]
        problems += check_mappings(tuple(plans), frameworks) if not problems else []
        if problems:
            raise ContentError(problems)
        by_id: dict[str, list[m.Plan]] = {}
        for plan in plans:
            by_id.setdefault(plan.id, []).append(plan)
        changed: set[str] = set()
        checks = CheckCache(self.project, self.cache.sources, glossary)
        for plan_id, pair in by_id.items():
            key = tuple(self.plans[self.project / p.loc.path][0] for p in pair)
            known = self.translated.get(plan_id)
            if known is None or known[0] != key or self.environment_changed:
                found, warnings = editions(self.project, tuple(pair), glossary, checks.check)
                self.translated[plan_id] = (key, found[0], warnings) if found else (key, None, warnings)
                changed.add(plan_id)
        for gone in set(self.translated) - set(by_id):
            del self.translated[gone]
            changed.add(gone)
        all_editions = tuple(self.translated[i][1] for i in sorted(self.translated) if self.translated[i][1])
        warnings = [w for i in sorted(self.translated) for w in self.translated[i][2]]
        return Loaded(config, all_editions, glossary, warnings, frameworks, dict(self.cache.sources)), changed

    def remake_downloads(self, save: int | None = None) -> None:
        """Remake the ODT and PDF files and the search index in the background; each replaces
        the old one when ready. After a save (number ``save``), the index waits until saves
        stop for SEARCH_DELAY seconds: indexing while an author saves again and again would
        only slow the pages they are waiting for."""
        with self.lock:
            loaded = self.loaded
            if loaded is None:
                return
            changed = []
            if self.downloads:  # looked up by their inputs: only the edited plans' are rendered
                files = make_downloads(self.project, loaded, digest_project(self.project, self.site, plans=False))
                changed = write_changed(self.site, {p: d for p, d in files.items() if self.files.get(p) != d})
                self.files = files
        if changed:
            self.rebuild()  # the pages state the new sizes
        if save is not None:
            time.sleep(SEARCH_DELAY)
            if save != self.saves:
                return  # a later save's thread indexes the newer pages
        with self.building:  # the views of the plans as they are now, never older ones
            if self.views_stale and self.loaded is not None and not self.problems:
                write_changed(self.site, dict(view_outputs(self.project, self.loaded, self.views_stale)))
                self.views_stale = set()
        with self.lock:  # with the build's cache, only the shards whose pages changed are indexed again
            index_site(self.site, loaded.glossary, cache=cache_folder(self.project) / "search")


SEARCH_DELAY = 1.0
"""Seconds without a save before the preview indexes the site for search again."""


AGENCY = 2
"""Where the agency is in a :func:`listing`."""


def listing(edition: m.Edition) -> tuple:
    """What the pages and data listing every plan (the index, the site map, data/plans.json)
    show of one: when no listing changed, they are unchanged."""
    e = edition
    return (e.zh.title, e.en.title if e.en else None, e.zh.agency, e.zh.year, sum(1 for _ in e.zh.actions()),
            e.zh.classification, e.source_updated)


def write_changed(site: Path, texts: dict[str, str | bytes]) -> list[str]:
    """Write each file whose content differs, atomically; returns the paths written."""
    written = []
    for relative, text in texts.items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        target = site / relative
        if target.exists() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(target)
        written.append(relative)
    return written


# ---------------------------------------------------------------- telling the browser


class RebuildWatcher:
    """What livereload calls its watcher: here it only reports rebuilds, as they happen, so the
    reload is immediate (watchfiles does the watching)."""

    def __init__(self) -> None:
        self._tasks = {"plansite": None}
        self.filepath: str | None = None
        self.pending = False
        self.loop: ioloop.IOLoop | None = None
        self.callback = None

    def watch(self, *args, **kwargs) -> None:
        pass

    def start(self, callback) -> bool:
        self.loop, self.callback = ioloop.IOLoop.current(), callback
        return True  # livereload should not poll

    def examine(self) -> tuple[str | None, None]:
        if self.pending:
            self.pending = False
            return "__livereload__", None  # livereload's name for "reload now, no throttle"
        return None, None

    def rebuilt(self) -> None:
        self.pending = True
        if self.loop and self.callback:
            self.loop.add_callback(self.callback)


def watch_sources(preview: Preview, watcher: RebuildWatcher, stop: threading.Event,
                  ready: threading.Event | None = None) -> None:
    """Rebuild on every batch of saved changes; remake downloads afterwards, in the background.
    ``ready`` is set once the watcher is watching, so no save made after that is missed."""
    from watchfiles import watch

    paths = [preview.project / p for p in WATCHED if (preview.project / p).exists()]
    # with yield_on_timeout, watch() yields an empty batch every 100 ms without saves: the first
    # one means the file system watcher is running
    for changes in watch(*paths, stop_event=stop, debounce=50, step=20, yield_on_timeout=True, rust_timeout=100):
        if ready is not None:
            ready.set()
        if not changes:
            continue
        sources = {Path(p) for _, p in changes}
        if any(p.is_relative_to(preview.project / d) for p in sources for d in ("templates", "locales")):
            preview.environment_changed = True
        preview.saves += 1
        preview.rebuild({Path(os.path.realpath(p)) for p in sources})  # a link loop raises nothing
        watcher.rebuilt()
        if not preview.problems:
            threading.Thread(target=lambda save=preview.saves: (preview.remake_downloads(save), watcher.rebuilt()),
                             daemon=True).start()


# ---------------------------------------------------------------- serving


HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers (or body), and that an idle connection
stays open: a browser needs milliseconds, a client that trickles bytes (slowloris) is cut off."""

MAX_CONNECTIONS = 100
"""Open HTTP connections at once; more are closed at once. A browser opens about six."""

MAX_SOCKETS = 50
"""Open live-reload connections at once (one per open page)."""

RELOAD_SCRIPT = b'<script src="/livereload.js"></script>'
"""Added to every page served: livereload.js finds the server from its own address. A file,
not an inline script, so the pages' Content-Security-Policy ('self' only) lets it run."""

METHODS = ("GET", "HEAD")


class PreviewRules(web.RequestHandler):
    """What every answer of the preview obeys, whichever handler gives it: only GET and HEAD,
    only to a Host that is an address (never a name an attacker's DNS can point at us), never
    sniffed or cached, and errors as plain pages: the details of a bug go to the terminal."""

    SUPPORTED_METHODS = METHODS

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.clear_header("Server")

    def prepare(self) -> None:
        if not served_host(self.request.host_name, self.settings["hosts"]):
            raise web.HTTPError(400, reason="Unknown Host")

    def send_error(self, status_code: int = 500, **kwargs) -> None:
        # 403 is tornado's answer for a path outside site/ or one that is not a file: to a
        # reader, those are simply not there
        super().send_error(404 if status_code == 403 else status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs) -> None:
        if status_code == 405:
            self.set_header("Allow", ", ".join(METHODS))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        if status_code == 404:
            self.finish(not_found_page(self.settings["preview"], self.request.path))
        else:
            self.finish(plain_page(status_code, self._reason))


WHOLE_FILE_BYTES = 16 * 1024 * 1024
"""Files up to this size are read whole and then sent; bigger ones are streamed from the open file."""
STREAM_PIECE = 1024 * 1024


class SiteHandler(PreviewRules, web.StaticFileHandler):
    """The files of site/ as a web server serves them, and the error page while the sources are
    broken. tornado's StaticFileHandler keeps requests inside site/ (also through symbolic
    links), redirects a folder to its address with '/', serves its index.html and never lists
    it; here each file is also read at once, so a file replaced or deleted while it is served
    gives the old file, the new one or a 404, and the preview's additions are made to it."""

    data: bytes = b""
    file: BinaryIO | None = None
    """A big file, open: streamed from the file it was when the request came (a file replaced
    meanwhile is a new file; this one stays whole), never read into memory at once."""
    size = 0
    etag = ""

    def prepare(self) -> None:
        super().prepare()
        # a browser never sends the #fragment; a raw client may (the route leaves it out)
        self.request.path = self.request.path.partition("#")[0]
        preview: Preview = self.settings["preview"]
        if preview.problems and is_page(self.path_args[0] if self.path_args else ""):
            self.set_header("Content-Type", "text/html; charset=utf-8")
            page = error_page(preview.problems, english=self.request.path.startswith("/en/"))
            self.finish(dressed(preview, page.encode("utf-8")))

    def parse_url_path(self, url_path: str) -> str:
        if "\0" in url_path:
            raise web.HTTPError(400)
        parts = url_path.split("/")
        if any(part.startswith(".") or len(part.encode("utf-8")) > 255 for part in parts):
            raise web.HTTPError(404)  # hidden (a file being written) or a name no file can have
        return super().parse_url_path(url_path)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        found = super().validate_absolute_path(root, absolute_path)
        if found is None:  # redirected to the folder's address
            return None
        try:
            file = open(found, "rb")  # noqa: SIM115 (a big file stays open until on_finish)
        except OSError:  # gone (or no longer a file) since it was found
            raise web.HTTPError(404) from None
        try:
            info = os.fstat(file.fileno())
            if info.st_size > WHOLE_FILE_BYTES:
                self.file, self.size = file, info.st_size
                self.etag = f'"{info.st_ino}-{info.st_size}-{info.st_mtime_ns}"'
                return found
            data = file.read()
        except OSError:
            raise web.HTTPError(404) from None
        finally:
            if self.file is not file:
                file.close()
        self.data = dressed(self.settings["preview"], data) if found.endswith(".html") else data
        self.size = len(self.data)
        self.etag = f'"{hashlib.sha256(self.data).hexdigest()}"'
        return found

    def get_content(self, abspath: str, start: int | None = None, end: int | None = None):  # type: ignore[override]
        if self.file is None:
            return self.data[start:end]
        return self.stream(start or 0, self.size if end is None else end)

    def stream(self, start: int, end: int) -> Iterator[bytes]:
        """The big file's bytes from ``start`` to ``end``, a piece at a time."""
        self.file.seek(start)
        while start < end and (piece := self.file.read(min(STREAM_PIECE, end - start))):
            start += len(piece)
            yield piece

    def on_finish(self) -> None:
        if self.file is not None:
            self.file.close()

    def get_content_size(self) -> int:
        return self.size

    def compute_etag(self) -> str | None:
        return self.etag

    def should_return_304(self) -> bool:
        # by content only: a file rewritten within the second it was fetched has the same date
        return bool(self.request.headers.get("If-None-Match")) and self.check_etag_header()

    def get_content_type(self) -> str:
        kind = super().get_content_type()
        if kind.startswith("text/") or kind.endswith(("json", "javascript", "xml")):
            kind += "; charset=utf-8"
        return kind


class ReloadScript(PreviewRules, web.StaticFileHandler):
    """livereload.js, from the livereload package."""


class ReloadSocket(PreviewRules, LiveReloadHandler):
    """livereload's WebSocket, for our own pages only (livereload accepts any site's), a
    bounded number at once, and closed on a message that is not livereload's."""

    open_sockets: ClassVar[set[ReloadSocket]] = set()

    check_origin = WebSocketHandler.check_origin  # cross-site pages may not connect

    def open(self, *args, **kwargs) -> None:
        if len(ReloadSocket.open_sockets) >= MAX_SOCKETS:
            self.close(1013, "too many pages open")
            return
        ReloadSocket.open_sockets.add(self)

    def on_close(self) -> None:
        ReloadSocket.open_sockets.discard(self)
        super().on_close()

    def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message)
        except ValueError:
            command = None
        if not isinstance(command, dict) or command.get("command") not in ("hello", "info"):
            self.close(1003, "not a livereload message")
            return
        if command["command"] == "info" and not isinstance(command.get("url"), str):
            self.close(1003, "not a livereload message")
            return
        super().on_message(message)


class NotFound(PreviewRules):
    """Any request no other handler takes (e.g. an absolute URL as the path)."""

    def get(self, *args) -> None:
        raise web.HTTPError(404)

    head = get


class PreviewServer(HTTPServer):
    """tornado's HTTP server with a bound on open connections: it serves them all on one thread,
    so many connections cost no threads, but each costs a file descriptor."""

    def handle_stream(self, stream, address) -> None:
        if len(self._connections) >= MAX_CONNECTIONS:
            stream.close()
            return
        super().handle_stream(stream, address)


def application(preview: Preview, hosts: frozenset[str]) -> web.Application:
    """The preview's routes: the live-reload script and socket, and site/. Not in tornado's
    debug mode, which would show tracebacks to the browser and restart on a code change."""
    import livereload

    script = str(Path(livereload.__file__).parent / "vendors")
    return web.Application(
        [(r"/livereload", ReloadSocket),
         (r"/(livereload\.js)", ReloadScript, {"path": script}),
         (r"/([^#]*)(?:#.*)?", SiteHandler, {"path": str(preview.site), "default_filename": "index.html"})],
        default_handler_class=NotFound, preview=preview, hosts=hosts,
        websocket_max_message_size=64 * 1024, websocket_ping_interval=30)


def served_host(name: str, names: frozenset[str]) -> bool:
    """True for a Host that is an IP address, or one of ``names`` (localhost, the --host, this
    machine's name). A page of another site whose name an attacker's DNS points at 127.0.0.1
    (DNS rebinding) sends its own name, and is refused."""
    name = name.strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name in names
    return True


def is_page(url_path: str) -> bool:
    """Whether a path names a page (x.html, a folder, or no suffix), not a file such as a PDF."""
    name = url_path.rpartition("/")[2]
    return not name or name.endswith(".html") or "." not in name


def dressed(preview: Preview, page: bytes) -> bytes:
    """A page as the preview shows it: with the live-reload script, and the translation banner."""
    page = page.replace(b"</head>", RELOAD_SCRIPT + b"</head>", 1)
    if preview.loaded and preview.loaded.warnings:
        page = page.replace(b"</body>", status_banner(preview).encode("utf-8") + b"</body>", 1)
    return page


def not_found_page(preview: Preview, url_path: str) -> bytes:
    """The site's own 404 page (English under /en/), or a plain one while it is not built."""
    english = url_path.startswith("/en/")
    try:
        page = (preview.site / ("en/404.html" if english else "404.html")).read_bytes()
    except OSError:
        return plain_page(404, "Not Found")
    return dressed(preview, page)


def plain_page(status: int, reason: str) -> bytes:
    """An error's page: its status, in both languages, and nothing about this machine."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{status} {escape(reason)}</title></head>\n<body><main><h1>{status} {escape(reason)}</h1>\n'
            f'<p lang="zh-Hant-TW">預覽伺服器無法回應這個請求。</p>\n'
            f'<p>The preview cannot answer this request.</p></main></body></html>\n').encode()


def error_page(problems: list[Problem], english: bool) -> str:
    lang = "en" if english else "zh-Hant-TW"
    title = "The site cannot be built" if english else "網站無法建置"
    intro = ("Fix these problems and save: this page turns back into the site by itself."
             if english else "請修正下列問題並存檔，本頁會自動恢復成網站。")
    items = "\n".join(f'<li><code lang="en">{escape(str(p))}</code></li>' for p in problems)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ font-family: sans-serif; line-height: 1.6; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }}
li {{ margin-bottom: 0.75em; }} code {{ white-space: pre-wrap; overflow-wrap: anywhere; }}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{intro}</p>
<ol>
{items}
</ol>
</main>
</body>
</html>
"""


def status_banner(preview: Preview) -> str:
    """Preview only (never in site/): how many translations are stale or missing, and which."""
    assert preview.loaded is not None
    warnings = "\n".join(escape(str(w)) for w in preview.loaded.warnings)
    table = escape(status_table(preview.loaded.editions))
    # styled by site.css (.ps-preview): the pages' Content-Security-Policy forbids inline styles
    return (f'<aside class="ps-preview" lang="en">'
            f'<details><summary>Preview: {len(preview.loaded.warnings)} translation or glossary warnings'
            f'</summary><pre>{table}\n\n{warnings}</pre></details></aside>')


def serve(project: Path, site: Path, host: str, port: str | int, downloads: bool = True) -> int:
    """Build, serve with live reload until Ctrl-C, and stop cleanly."""
    sockets = listen(host, port)
    if isinstance(sockets, str):
        print(sockets, file=sys.stderr)
        return 1
    try:  # a wrong flag is named before the folder: nothing is looked at before the port is ours
        site = prepare_output(project, site, preview=True)
    except BaseException:
        for listening in sockets:
            listening.close()
        raise
    port = sockets[0].getsockname()[1]
    preview = Preview(project, site, downloads)
    try:
        preview.start()
    except ContentError as error:
        preview.problems = error.problems
    watcher = RebuildWatcher()
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=watch_sources, args=(preview, watcher, stop, ready), daemon=True)
    thread.start()
    ready.wait(30)  # serve only once saves are watched: a save right after the first page loads counts
    hosts = frozenset({"localhost", host.lower().strip("[]"), socket.gethostname().lower()})
    server = PreviewServer(application(preview, hosts), idle_connection_timeout=HEADER_TIMEOUT,
                           body_timeout=HEADER_TIMEOUT, max_header_size=64 * 1024, max_body_size=64 * 1024)
    terminal = logging.StreamHandler()  # a bug's traceback goes here, never to the browser
    for name, level in (("tornado", logging.ERROR), ("livereload", logging.WARNING)):
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).addHandler(terminal)

    async def run() -> None:
        server.add_sockets(sockets)
        LiveReloadHandler.watcher = watcher
        LiveReloadHandler.start_tasks()
        await asyncio.Event().wait()

    shown = f"[{host}]" if ":" in host else host
    print(f"Serving the preview at http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join(timeout=5)
    print("Stopped.", flush=True)
    return 0


def listen(host: str, port: str | int) -> list[socket.socket] | str:
    """The listening sockets, bound before the first build so that no other program can take the
    port meanwhile; or the one line that says why they cannot be."""
    from tornado.netutil import bind_sockets

    number = int(port) if str(port).isascii() and str(port).isdigit() else 0
    if not 1 <= number <= 65535:
        return f"serve: --port must be a whole number from 1 to 65535, not {str(port)!r}; e.g. --port 8000"
    if not host.strip():
        return "serve: --host is empty; leave it out to listen on 127.0.0.1"
    try:
        return bind_sockets(number, address=host)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (f"serve: port {number} on {host} is in use; stop the other server or choose another port "
                    f"with --port, e.g. python build.py serve --port {number % 65535 + 1}")
        if error.errno == errno.EACCES:
            return (f"serve: port {number} needs administrator rights on this machine; choose one from 1024 "
                    f"to 65535 with --port, e.g. python build.py serve --port 8000")
        reason = error.strerror or str(error)
    except ValueError as error:  # e.g. a NUL byte, or a name too long for the DNS
        reason = str(error)
    return (f"serve: cannot listen on {host!r} ({reason}); --host must be an address of this machine, "
            f"e.g. 127.0.0.1 (the default)")
