"""Live preview: ``python build.py serve`` rebuilds what a save changed and reloads the browser.

- watchfiles watches content/, templates/, locales/ and site.yml. After each batch of saves,
  :class:`Preview` asks the build's engine (:class:`site.Engine`) for a quick update: the
  files of the plans whose sources changed, written into the served folder at once. Once
  saves stop for a second, the engine makes the update a build would make (downloads, the
  pages stating their sizes, the pages about all plans, search) and syncs it into the served
  folder, which then holds exactly what a clean build gives. Until then the old files are
  served, so download links and search always work.
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

from livereload.handlers import LiveReloadHandler
from markupsafe import escape
from tornado import ioloop, web
from tornado.httpserver import HTTPServer
from tornado.websocket import WebSocketHandler

from .errors import ContentError, MachineError, Problem, machine_error
from .project import CONFIG_FILE
from .publish import Stamp, prepare_output, tidy_cache
from .render_html import environment
from .site import Engine
from .site_paths import EN, LANGUAGES, ZH
from .sources import Loaded, lasting_objects
from .translation import status_table

WATCHED = ("content", "templates", "locales", CONFIG_FILE)


@dataclass
class Preview:
    """The preview's state: the engine that keeps the live folder up to date (the build's own,
    writing in place: see :class:`site.Engine`), what it last loaded, and the problems of the
    current sources."""

    project: Path
    site: Path
    downloads: bool = True
    loaded: Loaded | None = None
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """The site paths the last quick update wrote (for tests and the console)."""
    saves: int = 0
    """How many saves the watcher has seen: the update after them waits for them to stop."""
    updating: threading.Lock = field(default_factory=threading.Lock)
    """Held by the update in the background: one at a time."""

    def __post_init__(self) -> None:
        self.project, self.site = self.project.resolve(), self.site.resolve()  # as watchfiles names files
        self.engine = Engine(self.project, self.site, downloads=self.downloads, live=True)

    def start(self) -> None:
        """The first build, as ``build`` makes it (swapped in whole; nothing to do when no file
        changed since the last one), then the preview's own state: the sources as built, and
        the site's outputs as the build recorded them, so the first save renders one plan."""
        stamp = Stamp(self.project, self.site, False, self.downloads)
        if not stamp.unchanged():
            tidy_cache(self.project)
            self.engine.update(stamp, whole=True)
        self.engine.files = {p.relative_to(self.site).as_posix(): p.read_bytes()
                             for p in (self.site / "downloads").glob("*") if p.is_file()}
        self.engine.published = Stamp(self.project, self.site, False, self.downloads).published()
        with self.engine.lock, lasting_objects():  # the plans as built last until they are edited
            self.loaded = self.engine.sources.load()
        self.engine.sources.freeze = False  # from now on, what a save reads is collected as usual
        for lang in LANGUAGES:  # compiled now, so the first save is as quick as the next
            env = environment(self.project, lang.code)
            for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
                env.get_template(name)

    def rebuild(self, saved: set[Path] | None = None) -> bool:
        """Write the pages of what a save changed (``saved``: the files it touched; None: check
        all) at once. True when it did. An unexpected error (a bug) is shown on the error page
        like a content problem: the preview keeps running."""
        started = time.perf_counter()
        try:
            self.loaded, self.written = self.engine.quick(saved)
        except Exception as error:  # noqa: BLE001 - the preview must outlive its own bugs
            self.problems = problems_of(error)
            return False
        self.problems = []
        print(f"rebuilt in {1000 * (time.perf_counter() - started):.0f} ms: "
              f"{len(self.written)} page{'s' if len(self.written) != 1 else ''} changed", flush=True)
        return True

    def catch_up(self, save: int | None = None) -> bool:
        """Once saves stop for QUIET seconds (after save number ``save``), the update a build
        would make, into the live folder: downloads, the pages stating their sizes, the pages
        about all plans, files no longer made removed, and the search index. True when it
        published; False when a later save overtook it (that save's update follows) or it
        failed (the problems are shown)."""
        if save is not None:
            time.sleep(QUIET)
            if save != self.saves:
                return False  # a later save's update brings the newer sources
        with self.updating:
            if save is not None and save != self.saves:
                return False
            try:
                return self.engine.update() is not None
            except Exception as error:  # noqa: BLE001 - the preview must outlive its own bugs
                if save is None or save == self.saves:
                    self.problems = problems_of(error)
                return False


QUIET = 1.0
"""Seconds without a save before the preview brings the rest of the site up to date."""


def problems_of(error: Exception) -> list[Problem]:
    """What the error page shows for an error of an update: a content problem at its line, the
    machine's fault in one line, or a bug (whose traceback goes to the terminal)."""
    if isinstance(error, ContentError):
        return error.problems
    if isinstance(error, OSError) and (known := machine_error(error)) is not None:
        error = known
    if isinstance(error, MachineError):
        return [Problem(error.path, 1, error.message, error.hint)]
    traceback.print_exception(error)
    return [Problem("plansite", 1, f"internal error: {error!r}",
                    "this is a bug in plansite; the error is printed where serve runs")]


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
    for changes in watch(*paths, stop_event=stop, debounce=50, step=20, yield_on_timeout=True,
                         rust_timeout=100):
        if ready is not None:
            ready.set()
        if not changes:
            continue
        preview.saves += 1
        preview.rebuild({Path(os.path.realpath(p)) for _, p in changes})  # a link loop raises nothing
        watcher.rebuilt()
        if not preview.problems:
            threading.Thread(target=lambda save=preview.saves: preview.catch_up(save) and watcher.rebuilt(),
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
        if self.request.path.endswith("/") and os.path.isfile(absolute_path):
            raise web.HTTPError(404)  # '/index.html/' names a folder, which a file is not: as a web server
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
            f'<title>{status} {escape(reason)}</title></head>\n'
            f'<body><main><h1>{status} {escape(reason)}</h1>\n'
            f'<p lang="zh-Hant-TW">預覽伺服器無法回應這個請求。</p>\n'
            f'<p>The preview cannot answer this request.</p></main></body></html>\n').encode()


def error_page(problems: list[Problem], english: bool) -> str:
    lang = (EN if english else ZH).code
    title = "The site cannot be built" if english else "網站無法建置"
    intro = ("Fix these problems and save: this page turns back into the site by itself."
             if english else "請修正下列問題並存檔，本頁會自動恢復成網站。")
    items = "\n".join(f'<li><code lang="en">{escape(str(p))}</code></li>' for p in problems)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ font-family: sans-serif; line-height: 1.6; max-width: 48rem; margin: 2rem auto;
padding: 0 1rem; }}
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
