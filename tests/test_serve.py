"""``python build.py serve`` as a translator uses it: a real server in a subprocess, edits saved
to disk, and the served pages (and errors) changing by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from plansite.publish import FILES

from .conftest import PROJECT, as_from_a_shell, copy_project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """Status and text (HTML entities resolved, so messages compare as the CLI prints them)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, html.unescape(response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return error.code, html.unescape(error.read().decode("utf-8", "replace"))


LOG: list[Path] = []
"""The running server's output file, shown when a wait times out."""


def wait_for(check, seconds: float = 90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    output = LOG[-1].read_text(errors="replace")[-3000:] if LOG else ""
    raise AssertionError(f"timed out; the server said:\n{output}")


def launch(project: Path, folder: Path, *options: str) -> tuple[str, subprocess.Popen]:
    """``serve`` on a free port of 127.0.0.1, once it answers: its address and its process."""
    port = free_port()
    log = folder / "serve.log"  # a file, not a pipe: an unread pipe that fills up blocks the server
    LOG.append(log)
    process = subprocess.Popen(as_from_a_shell([sys.executable, str(PROJECT / "build.py"), "--project",
                                                str(project), "serve", "--port", str(port), *options]),
                               stdout=log.open("w"),
                               stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}/"

    def up():
        try:
            return fetch(base + "index.html")[0] == 200
        except OSError:
            assert process.poll() is None, log.read_text(errors="replace")
            return False

    try:
        wait_for(up, 120)
    except BaseException:
        stop(process)  # a server that never answered is not left running
        raise
    return base, process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture
def server(tmp_path: Path):
    project = copy_project(tmp_path / "project", plans=["mof-2017", "kaohsiung-finance-2024"])
    base, process = launch(project, tmp_path)
    yield project, base, process
    stop(process)


def site_times(site: Path) -> dict[str, int]:
    """Every file's time; a file the preview removes while we look (an old search index's) is left out."""
    times = {}
    for path in site.rglob("*"):
        with contextlib.suppress(FileNotFoundError):
            if path.is_file():
                times[path.relative_to(site).as_posix()] = path.stat().st_mtime_ns
    return times


def test_the_preview_starts_from_the_build_without_rendering_it_again(server) -> None:
    """The site the first build published is what the preview would render, so the preview
    starts from it (at a thousand plans, rendering it again took a minute); the first edit
    then renders just its plan."""
    project, base, _ = server
    assert "rebuilt in" not in LOG[-1].read_text(errors="replace")
    source = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("評獎實施計畫」。", "評獎實施計畫」。（開機測試）", 1), encoding="utf-8")
    wait_for(lambda: "（開機測試）" in fetch(base + "plans/kaohsiung-finance-2024/index.html")[1])
    assert "rebuilt in" in LOG[-1].read_text(errors="replace")


def test_an_edit_is_served_and_only_its_plan_is_rewritten(server) -> None:
    project, base, _ = server
    page = base + "plans/mof-2017/index.html"
    status, html = fetch(page)
    assert status == 200 and "livereload.js" in html  # the browser reloads by itself
    site = project / "site"
    before = site_times(site)
    source = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("推動以民為本服務", "推動以民為本服務（預覽測試）", 1), encoding="utf-8")
    wait_for(lambda: "（預覽測試）" in fetch(page)[1])
    pdf = "downloads/mof-2017.zh-Hant.pdf"
    wait_for(lambda: site_times(site).get(pdf) != before[pdf], 120)  # the PDF is remade in the background
    index = "pagefind/pagefind-entry.json"
    wait_for(lambda: site_times(site).get(index) != before[index])  # and then the search index
    time.sleep(1)
    changed = {path for path, stamp in site_times(site).items() if before.get(path) != stamp}
    assert "plans/mof-2017/index.html" in changed and pdf in changed
    views = ("pagefind/", "units/ministry-of-finance/", "en/units/ministry-of-finance/", "deadlines/",
             "en/deadlines/", FILES)  # the site's list of its files names the search index's
    assert all("mof-2017" in path or path.startswith(views) for path in changed), sorted(changed)
    assert fetch(base + "downloads/mof-2017.zh-Hant.odt")[0] == 200


def test_the_views_of_every_plan_catch_up_in_the_background(server) -> None:
    """The agency's units page is rewritten with its plan; the index of units, which shows
    every agency, once saves stop (with the search index)."""
    project, base, _ = server
    source = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = source.read_text(encoding="utf-8")
    assert "菸酒管理科" in text and "菸酒管理股" not in text
    source.write_text(text.replace("菸酒管理科", "菸酒管理股"), encoding="utf-8")
    agency = base + "units/finance-bureau-kaohsiung-city-government/index.html"
    wait_for(lambda: "菸酒管理股" in fetch(agency)[1])
    wait_for(lambda: "菸酒管理股" in fetch(base + "units/index.html")[1])
    assert "菸酒管理科" not in fetch(base + "units/index.html")[1]


def test_broken_content_shows_the_error_page_and_recovers(server) -> None:
    project, base, process = server
    page = base + "en/plans/kaohsiung-finance-2024/index.html"
    source = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("year: 113", "year: 一一三"), encoding="utf-8")
    message = ("content/plans/kaohsiung-finance-2024.zh-Hant.md:"
               f"{text.splitlines().index('year: 113') + 1}: 'year' must be a whole number")
    shown = wait_for(lambda: next((text for _, text in [fetch(page)] if message in text), None))
    assert '<html lang="en">' in shown and "<h1>The site cannot be built</h1>" in shown
    assert "livereload.js" in shown  # so it turns back into the page by itself
    assert message in fetch(base + "index.html")[1]
    assert process.poll() is None  # the server lives on
    source.write_text(text, encoding="utf-8")
    wait_for(lambda: "Finance Bureau, Kaohsiung City Government" in fetch(page)[1])


def test_a_template_error_is_shown_too(server) -> None:
    project, base, _ = server
    template = project / "templates" / "index.html"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{% endblock %}", "{{ no_such_thing.name }}{% endblock %}", 1),
                        encoding="utf-8")
    wait_for(lambda: "templates/index.html:" in fetch(base + "index.html")[1])
    template.write_text(text, encoding="utf-8")
    wait_for(lambda: "ps-plans" in fetch(base + "index.html")[1])


def test_a_stylesheet_edit_is_served(server) -> None:
    project, base, _ = server
    stylesheet = project / "templates" / "assets" / "site.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* preview-edit */\n", encoding="utf-8")
    wait_for(lambda: "preview-edit" in fetch(base + "assets/site.css")[1])


def test_ctrl_c_stops_it_cleanly(server) -> None:
    _, _, process = server
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert LOG[-1].read_text().rstrip().endswith("Stopped.")


def test_a_port_in_use_is_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(PROJECT),
                                 "serve", "--port", str(port)], capture_output=True, text=True, timeout=60,
                                check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"serve: port {port} on 127.0.0.1 is in use; stop the other server or "
                                     "choose another port with --port, e.g. python build.py serve --port "
                                     f"{port + 1}")


# ---------------------------------------------------------------- hostile requests
# Raw sockets, not a browser or urllib: they would normalise the very paths under test.

LEAKS = re.compile(b"|".join([b"Traceback", b"site-packages",
                              *(re.escape(os.fsencode(folder)) + b"/" for folder in (
    PROJECT.parent, tempfile.gettempdir(), Path.home(), sys.prefix) if str(folder) != "/")]))
"""What no answer may contain: a traceback, or a path of this machine (the project's folder, the
temporary folder, the home folder, Python's)."""
EXCEPTION = re.compile(rb"\b[A-Z]\w*(?:Error|Exception)\b")
"""Nor, when it is an error, a Python exception's name (scripts may hold such words)."""
SECRET = b"secret outside site/"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def ask(port: int, target: bytes, method: bytes = b"GET", host: bytes = b"127.0.0.1",
        extra: bytes = b"") -> Answer | None:
    """One request as written (None when the server closes the connection without answering);
    its answer must leak nothing."""
    request = (method + b" " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n"
               + extra + b"\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(request)
        data = b""
        try:
            while chunk := connection.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    if not data:
        return None
    assert not LEAKS.search(data) and str(PROJECT).encode() not in data, data[:3000]
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    answer = Answer(int(lines[0].split()[1]), headers, body)
    assert answer.status < 400 or not EXCEPTION.search(data), data[:3000]
    return answer


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A preview, with symbolic links in site/ to a file and a folder outside it, and a
    half-written file."""
    folder = tmp_path_factory.mktemp("hostile")
    project = copy_project(folder / "project", plans=["mof-2017"])
    base, process = launch(project, folder, "--no-downloads")
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (project / "site" / "leak.txt").symlink_to(outside / "secret.txt")
    (project / "site" / "leaks").symlink_to(outside, target_is_directory=True)
    # as written by the preview
    (project / "site" / ".index.html.tmp").write_bytes(b"<!DOCTYPE html><p>half a pa")
    yield project, int(base.rsplit(":", 1)[1].strip("/")), process
    stop(process)


def page(project: Path, path: str) -> bytes:
    return (project / "site" / path).read_bytes()


@pytest.mark.parametrize(("target", "status"), [
    (b"/index.html%00.txt", 400),  # NUL
    (b"/index\x00.html", 400),
    (b"/%ff%fe.html", 400),  # not UTF-8
    (b"/%ed%a0%80.html", 400),  # a surrogate
    (b"/index.html/", 404),  # a file asked for as a folder
    (b"/plans/mof-2017/index.html/x", 404),
    (b"/" + b"a" * 300 + b".html", 404),  # a name longer than any file's
    (b"/" + b"ab/" * 4000, 404),  # a path longer than any file's
    (b"/../../../../etc/passwd", 404),
    (b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404),
    (b"/..%2f..%2f..%2fetc%2fpasswd", 404),
    (b"/plans/..%2f..%2f..%2f..%2fetc/passwd", 404),
    (b"/..\\..\\..\\etc\\passwd", 404),
    (b"/%5c..%5c..%5cetc%5cpasswd", 404),
    (b"/etc/passwd", 404),
    (b"//etc/passwd", 404),
    (b"//evil.example/plans", 404),  # a redirect there would leave the site
    (b"http://evil.example/index.html", 404),  # an absolute URL as the path
    (b"/leak.txt", 404),  # symbolic links out of site/
    (b"/leaks/secret.txt", 404),
    (b"/leaks/", 404),
    (b"/.index.html.tmp", 404),  # a hidden file (the preview's half-written ones)
    (b"/assets/", 404),  # a folder without index.html is never listed
    (b"/no-such-page.html", 404),
])
def test_a_malformed_or_escaping_path_is_refused(hostile, target: bytes, status: int) -> None:
    _, port, process = hostile
    answer = ask(port, target)
    assert answer is not None and answer.status == status, answer
    assert SECRET not in answer.body and b"root:" not in answer.body and b"half a pa" not in answer.body
    # tornado answers a request it cannot even parse with a bare status line
    assert answer.headers.get("x-content-type-options") == "nosniff" or answer.body == b""
    assert process.poll() is None


def test_the_404_page_is_the_sites_in_each_language(hostile) -> None:
    _, port, _ = hostile
    for target, language in ((b"/plans/nothing/", b'lang="zh-Hant-TW"'),
                             (b"/en/plans/nothing/", b'lang="en"')):
        answer = ask(port, target)
        assert answer.status == 404 and answer.headers["content-type"] == "text/html; charset=utf-8"
        assert language in answer.body[:200] and b"/livereload.js" in answer.body


def test_head_is_get_without_the_body_and_other_methods_get_405(hostile) -> None:
    project, port, _ = hostile
    got, head = ask(port, b"/index.html"), ask(port, b"/index.html", b"HEAD")
    assert got.status == head.status == 200 and head.body == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.body))
    assert head.headers["content-type"] == got.headers["content-type"] == "text/html; charset=utf-8"
    assert got.body.replace(b'<script src="/livereload.js"></script>', b"") == page(project, "index.html")
    for method in (b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT", b"BREW"):
        answer = ask(port, b"/index.html", method, extra=b"Content-Length: 0\r\n")
        assert answer.status == 405 and answer.headers["allow"] == "GET, HEAD", method


def test_content_types_queries_fragments_and_folders(hostile) -> None:
    _, port, _ = hostile
    types = {b"/assets/site.css": "text/css; charset=utf-8",
             b"/assets/reader.js": "text/javascript; charset=utf-8",
             b"/sitemap.xml": "application/xml; charset=utf-8", b"/livereload.js": "text/javascript"}
    for target, kind in types.items():
        answer = ask(port, target)
        assert answer.status == 200 and answer.headers["content-type"] == kind, target
        assert answer.headers["x-content-type-options"] == "nosniff"
    plain = ask(port, b"/index.html").body
    for target in (b"/index.html?x=1&y=%00%ff", b"/index.html#top", b"/?a=../../etc/passwd", b"/#x"):
        assert ask(port, target).body == plain, target
    for target in (b"/plans/mof-2017", b"/plans/mof-2017?x=1", b"/plans/mof-2017#x"):
        answer = ask(port, target)
        assert answer.status == 301 and answer.headers["location"] == "/plans/mof-2017/"
    assert ask(port, b"/plans/mof-2017/").status == 200


def test_only_our_own_host_names_are_answered(hostile) -> None:
    """A page of another site can make a browser send requests here with DNS rebinding: its
    own host name then names 127.0.0.1, and the request carries that name."""
    _, port, _ = hostile
    for host in (b"evil.example", b"evil.example:%d" % port, b"localhost.evil.example", b"127.0.0.1.nip.io"):
        answer = ask(port, b"/index.html", host=host)
        assert answer.status == 400 and b"<html" not in answer.body[:5] and b"ps-plans" not in answer.body, \
            host
    for host in (b"127.0.0.1:%d" % port, b"localhost:%d" % port, b"localhost", b"[::1]:%d" % port):
        assert ask(port, b"/index.html", host=host).status == 200, host


def test_long_requests_are_refused_and_the_server_lives_on(hostile) -> None:
    _, port, process = hostile
    for target, extra in ((b"/" + b"a" * 100_000, b""), (b"/", b"X-Long: " + b"a" * 100_000 + b"\r\n"),
                          (b"/", b"".join(b"X-%d: a\r\n" % i for i in range(10_000)))):
        answer = ask(port, target, extra=extra)
        assert answer is None or answer.status in (400, 404, 414, 431)
    assert ask(port, b"/index.html").status == 200 and process.poll() is None


def test_garbage_on_the_live_reload_socket_closes_only_that_socket(hostile) -> None:
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    _, port, process = hostile
    url = f"ws://127.0.0.1:{port}/livereload"

    async def talk(message) -> str | None:
        socket_ = await websocket_connect(url)
        await socket_.write_message(message, binary=isinstance(message, bytes))
        reply = await asyncio.wait_for(socket_.read_message(), 10)
        socket_.close()
        return reply

    async def refused(request: HTTPRequest) -> int:
        try:
            (await websocket_connect(request)).close()
        except HTTPClientError as error:
            return error.code
        return 101

    async def main() -> None:
        for garbage in ("not json", "[]", "null", '{"command": 5}', '{"command": "info"}', "{" * 10_000,
                        b"\xff\xfe\x00", "x" * 200_000):
            assert await talk(garbage) is None, garbage  # closed, no answer
        assert '"hello"' in await talk('{"command": "hello", "protocols": []}')
        assert await refused(HTTPRequest(url, headers={"Origin": "http://evil.example"})) == 403
        assert await refused(HTTPRequest(url, headers={"Host": "evil.example"})) == 400

    run_async(main)
    assert ask(port, b"/index.html").status == 200 and process.poll() is None
    assert "Traceback" not in LOG[-1].read_text(errors="replace")  # a client's garbage is not a bug


def run_async(main) -> None:
    """asyncio.run(main()) on a thread of its own: Playwright's browser keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def threads(process: subprocess.Popen) -> int:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))


def test_slow_and_many_clients_are_cut_off_and_cost_no_threads(hostile) -> None:
    """Slowloris: clients that open connections and trickle their headers are closed after
    HEADER_TIMEOUT; connections beyond MAX_CONNECTIONS are closed at once; and none of them
    costs a thread."""
    from plansite.serve import HEADER_TIMEOUT, MAX_CONNECTIONS

    _, port, process = hostile
    before = threads(process)
    slow = []
    for _ in range(MAX_CONNECTIONS + 20):
        connection = socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT + 20)
        connection.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end
        slow.append(connection)
    started = time.monotonic()
    assert threads(process) <= before + 2
    time.sleep(1)

    def closed(connection: socket.socket, wait: float) -> bool:
        connection.settimeout(wait)
        try:
            return connection.recv(100) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    turned_away = sum(closed(connection, 0.01) for connection in slow)
    assert 10 <= turned_away <= 30, turned_away
    for connection in slow:
        with connection:
            assert closed(connection, HEADER_TIMEOUT + 20)
    assert time.monotonic() - started < HEADER_TIMEOUT + 10
    assert ask(port, b"/index.html").status == 200 and process.poll() is None


def test_a_file_replaced_or_deleted_while_it_is_served_is_the_old_the_new_or_404(hostile) -> None:
    project, port, process = hostile
    target = project / "site" / "churn.txt"
    versions = [b"a" * 1_000_000, b"b" * 1_500_000]
    done = threading.Event()

    def churn() -> None:
        turn = 0
        while not done.is_set():
            turn += 1
            if turn % 3 == 0:
                target.unlink(missing_ok=True)
            else:  # the preview writes this way: a whole new file renamed over the old
                temporary = target.with_name(".churn.txt.tmp")
                temporary.write_bytes(versions[turn % 2])
                temporary.replace(target)
            time.sleep(0.002)

    def fetch_all(_) -> list[tuple[int, bytes]]:
        seen = []
        for _ in range(25):
            answer = ask(port, b"/churn.txt")
            seen.append((answer.status, answer.body))
            assert answer.status == 404 or int(answer.headers["content-length"]) == len(answer.body)
        return seen

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            seen = [item for answers in pool.map(fetch_all, range(4)) for item in answers]
    finally:
        done.set()
        writer.join()
    assert {status for status, _ in seen} <= {200, 404}
    assert all(body in versions for status, body in seen if status == 200)
    assert {status for status, _ in seen} == {200, 404}, "the race must have happened"
    target.unlink(missing_ok=True)
    assert process.poll() is None


def resident_bytes(process: subprocess.Popen) -> int:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024


def test_a_big_file_is_streamed_not_read_into_memory(hostile) -> None:
    """A file far bigger than any page (a sparse 2 GB file) is sent a piece at a time from the
    open file: whole, in ranges too, and without the preview holding it in memory."""
    project, port, process = hostile
    big = project / "site" / "big.bin"
    size = 2 * 1024 ** 3
    with open(big, "wb") as file:
        file.truncate(size)
        file.seek(size - 4)
        file.write(b"last")
    try:
        before = resident_bytes(process)
        answer = ask(port, b"/big.bin", extra=b"Range: bytes=-4\r\n")
        assert answer.status == 206 and answer.body == b"last"
        answer = ask(port, b"/big.bin", method=b"HEAD")
        assert answer.status == 200 and answer.headers["content-length"] == str(size)
        with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
            connection.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            received = 0
            while received < 64 * 1024 * 1024 and (chunk := connection.recv(1 << 20)):
                received += len(chunk)
            assert received >= 64 * 1024 * 1024  # it flows; the client leaves half-way
        assert resident_bytes(process) - before < 200 * 1024 * 1024
        assert ask(port, b"/index.html").status == 200  # and the server lives on
    finally:
        big.unlink()


def test_a_save_reloads_the_open_page_in_a_browser(hostile, browser) -> None:
    """The reload script is a file of the preview, so the pages' Content-Security-Policy, which
    forbids inline scripts, lets it run; and it connects to the preview's own socket."""
    from playwright.sync_api import Error as PlaywrightError

    project, port, _ = hostile
    context = browser.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text
            else None)
    page.goto(f"http://127.0.0.1:{port}/plans/mof-2017/")

    def shows(script: str):  # polled: the page's policy forbids wait_for_function's eval
        def check() -> bool:
            try:
                return page.evaluate(script)
            except PlaywrightError:  # between two pages while it reloads
                return False
        return check

    wait_for(shows("!!(window.LiveReload && window.LiveReload.connector.protocol)"), 30)  # connected
    page.evaluate("window.before = true")
    source = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    source.write_text(source.read_text(encoding="utf-8").replace("推動以民為本服務",
                                                                 "推動以民為本服務（重新載入）", 1),
                      encoding="utf-8")
    wait_for(shows("!window.before && !!document.body && document.body.textContent.includes('（重新載入）')"),
             30)
    context.close()
    assert refused == []


def test_an_internal_error_is_a_plain_500_and_its_details_go_to_the_terminal(tmp_path: Path, monkeypatch,
                                                                               caplog) -> None:
    """A bug while answering (here: the translation banner fails) shows neither the traceback
    nor a path to the browser; the terminal gets both."""
    from types import SimpleNamespace

    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from plansite import serve

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><head></head><body></body></html>", encoding="utf-8")
    preview = serve.Preview(tmp_path, tmp_path / "site")
    preview.loaded = SimpleNamespace(warnings=["a stale translation"])

    def broken(_) -> str:
        raise RuntimeError(f"cannot read {tmp_path / 'secret'}")

    monkeypatch.setattr(serve, "status_banner", broken)
    sockets = bind_sockets(0, "127.0.0.1")
    answers = []

    async def main() -> None:
        server = HTTPServer(serve.application(preview, frozenset({"localhost"})))
        server.add_sockets(sockets)
        loop = asyncio.get_running_loop()
        answers.append(await loop.run_in_executor(None, ask, sockets[0].getsockname()[1], b"/index.html"))
        server.stop()

    run_async(main)
    assert answers[0].status == 500 and b"500 Internal Server Error" in answers[0].body
    assert b"secret" not in answers[0].body
    assert "RuntimeError: cannot read" in caplog.text and "Traceback" in caplog.text


def test_a_soak_of_requests_while_plans_are_saved_ends_with_what_a_clean_build_gives(
        tmp_path: Path, monkeypatch) -> None:
    """A few hundred requests, ten at a time, while a plan is saved fifty times (once broken):
    the server answers every one, stays up, and then serves exactly a clean build's files."""
    from plansite.site import build

    project = copy_project(tmp_path / "project", plans=["mof-2017", "kaohsiung-finance-2024"])
    base, process = launch(project, tmp_path, "--no-downloads")
    try:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        source = project / "content" / "plans" / "mof-2017.zh-Hant.md"
        text = source.read_text(encoding="utf-8")
        assert "推動以民為本服務" in text and "year: 106" in text
        targets = [b"/", b"/index.html", b"/plans/mof-2017/", b"/en/plans/mof-2017/index.html",
                   b"/assets/site.css",
                   b"/plans/kaohsiung-finance-2024/", b"/no-such-page", b"/../etc/passwd", b"/plans", b"/%00"]
        saving = threading.Event()

        def save() -> None:
            for turn in range(50):
                edited = text.replace("推動以民為本服務", f"推動以民為本服務（第{turn}次）", 1)
                if turn == 25:
                    edited = edited.replace("year: 106", "year: 一〇六")
                source.write_text(edited, encoding="utf-8")
                time.sleep(0.05)
            saving.set()

        def request(number: int) -> int:
            answer = ask(port, targets[number % len(targets)], b"HEAD" if number % 7 == 0 else b"GET")
            return answer.status

        saver = threading.Thread(target=save)
        saver.start()
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(request, range(400)))
        saver.join()
        assert set(statuses) <= {200, 301, 400, 404}, sorted(set(statuses))
        assert process.poll() is None
        final = "推動以民為本服務（第49次）"
        wait_for(lambda: final in fetch(base + "plans/mof-2017/index.html")[1])

        monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "fresh-cache"))
        build(project, tmp_path / "clean", downloads=False)
        clean = {p.relative_to(tmp_path / "clean").as_posix(): p.read_bytes()
                 for p in (tmp_path / "clean").rglob("*") if p.is_file()}

        def differences() -> list[str]:
            live = {p.relative_to(project / "site").as_posix(): p.read_bytes()
                    for p in (project / "site").rglob("*") if p.is_file()}
            return sorted(p for p in live.keys() | clean.keys() if live.get(p) != clean.get(p))

        # the search index and the pages of many plans' actions follow in the background
        deadline = time.time() + 60
        while differences() and time.time() < deadline:
            time.sleep(0.2)
        assert differences() == [], differences()
        for path, data in clean.items():  # and what is served is those files (plus the reload script)
            if path.startswith("."):  # the site's mark (.plansite): a hidden file, never served
                assert ask(port, b"/" + path.encode()).status == 404
                continue
            answer = ask(port, b"/" + path.encode())
            body = re.sub(rb'<aside class="ps-preview".*?</aside>', b"", answer.body, flags=re.DOTALL)
            assert answer.status == 200 and body.replace(b'<script src="/livereload.js"></script>',
                                                         b"") == data, path
    finally:
        stop(process)


PORT_AND_HOST = [
    (["--port", "abc"], "serve: --port must be a whole number from 1 to 65535, not 'abc'; e.g. --port 8000"),
    (["--port", "0"], "serve: --port must be a whole number from 1 to 65535, not '0'; e.g. --port 8000"),
    (["--port", "70000"],
     "serve: --port must be a whole number from 1 to 65535, not '70000'; e.g. --port 8000"),
    (["--port", "-1"], "serve: --port must be a whole number from 1 to 65535, not '-1'; e.g. --port 8000"),
    (["--port", "٨٠٠٠"],
     "serve: --port must be a whole number from 1 to 65535, not '٨٠٠٠'; e.g. --port 8000"),
    (["--host", ""], "serve: --host is empty; leave it out to listen on 127.0.0.1"),
    (["--host", "192.0.2.1"],
     ("serve: cannot listen on '192.0.2.1' (Cannot assign requested address); --host must "
                              "be an address of this machine, e.g. 127.0.0.1 (the default)")),
]


@pytest.mark.parametrize(("options", "message"), PORT_AND_HOST)
def test_a_wrong_port_or_host_is_one_clear_line(options: list[str], message: str, capsys) -> None:
    """Checked before the build, so a mistyped flag costs no time (192.0.2.1 is reserved for
    documentation: no machine has it, and nothing is sent to it)."""
    from plansite.cli import main

    assert main(["--project", str(PROJECT), "serve", *options]) == 1
    assert capsys.readouterr() == (("", message + "\n"))
