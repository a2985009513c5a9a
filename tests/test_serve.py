"""``python build.py serve`` as a translator uses it: a real server in a subprocess, edits saved
to disk, and the served pages (and errors) changing by themselves."""

from __future__ import annotations

import html
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import PROJECT, copy_project


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


@pytest.fixture
def server(tmp_path: Path):
    project = copy_project(tmp_path / "project", plans=["mof-2017", "kaohsiung-finance-2024"])
    port = free_port()
    log = tmp_path / "serve.log"  # a file, not a pipe: an unread pipe that fills up blocks the server
    LOG.append(log)
    process = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--project", str(project), "serve",
                                "--port", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/"

    def up():
        try:
            return fetch(base + "index.html")[0] == 200
        except OSError:
            assert process.poll() is None, log.read_text(errors="replace")
            return False

    wait_for(up, 120)
    yield project, base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def site_times(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}


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
    views = ("pagefind/", "units/ministry-of-finance/", "en/units/ministry-of-finance/", "deadlines/", "en/deadlines/")
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
    template.write_text(text.replace("{% endblock %}", "{{ no_such_thing.name }}{% endblock %}", 1), encoding="utf-8")
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
        result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(PROJECT), "serve",
                                 "--port", str(port)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"serve: port {port} on 127.0.0.1 is in use; stop the other server or "
                                     f"choose another port with --port, e.g. python build.py serve --port {port + 1}")
