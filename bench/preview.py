"""Save-to-updated-HTML latency of ``python build.py serve``, against a full rebuild.

For the five-plan site and a synthetic 1,000-plan site (bench/corpus.py), in the same run:
- full: a cold ``python build.py --no-downloads`` of the whole site (the baseline);
- start: the time from launching ``serve --no-downloads`` (on the site that build just
  published) to its first page served;
- reload: ``serve --no-downloads`` runs in a subprocess with one open page, as a browser has
  it: each round edits one plan's paragraph, and the time from the save to the page's reload
  notice (livereload's WebSocket) plus fetching the page once is what a writer waits for.
  The next round waits for the notice of the update that follows once saves stop;
- polled: the same edit, with the page fetched every 2 ms until it shows the edit. Those
  requests are served by the same Python process as the update and take turns with it for the
  interpreter lock, so this figure is slower than what a writer sees; it is kept because it
  needs no WebSocket and because earlier figures were taken this way.

    .venv/bin/python bench/preview.py [--rounds 15] [--large 1000]

Prints the median and worst latency and the ratio of the median to the full rebuild. Nothing
here asserts a time: results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tornado.websocket import websocket_connect

from bench.corpus import make_corpus


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


async def reloads(port: int, url: str, source: Path, original: str, anchor: str, rounds: int) -> list[float]:
    """Each round: save, wait for the reload notice an open page gets, fetch the page once (it must
    show the edit: a notice before the page is written would be a bug, reported as such)."""
    socket = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    socket.write_message(json.dumps({"command": "hello",
                                     "protocols": ["http://livereload.com/protocols/official-7"]}))
    await socket.read_message()
    socket.write_message(json.dumps({"command": "info", "url": url}))
    await asyncio.sleep(0.5)
    waits = []
    for number in range(rounds):
        marker = f"RELOAD{number:03d}"
        source.write_text(original.replace(anchor, anchor + marker, 1), encoding="utf-8")
        written = time.perf_counter()
        while True:
            message = json.loads(await socket.read_message())
            if message.get("command") == "reload":
                break
        page = await asyncio.to_thread(fetch, url)
        waits.append(time.perf_counter() - written)
        if marker not in page:
            raise RuntimeError(f"round {number}: the page did not show the edit when the reload came")
        # the update that follows once saves stop sends a notice of its own: wait for it, so the
        # next save is timed on a preview at rest (and that notice is not taken for the next one)
        with contextlib.suppress(TimeoutError):
            while json.loads(await asyncio.wait_for(socket.read_message(), 300)).get("command") != "reload":
                pass
        await asyncio.sleep(0.3)
    socket.close()
    return waits


def measure(project: Path, plan: str, rounds: int) -> tuple[float, float, list[float], list[float]]:
    python = sys.executable
    started = time.perf_counter()
    subprocess.run([python, str(PROJECT / "build.py"), "--project", str(project), "--no-downloads"],
                   check=True, capture_output=True)
    full = time.perf_counter() - started
    port = free_port()
    launched = time.perf_counter()
    server = subprocess.Popen([python, str(PROJECT / "build.py"), "--project", str(project), "serve",
                               "--no-downloads", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/plans/{plan}/index.html"
    try:
        deadline = time.time() + 600
        while True:
            try:
                fetch(url)
                break
            except urllib.error.HTTPError as error:  # served, but not that page: waiting will not help
                raise RuntimeError(f"{url}: {error}") from None
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("serve did not start") from None
                time.sleep(0.2)
        start = time.perf_counter() - launched
        source = project / "content" / "plans" / f"{plan}.zh-Hant.md"
        original = source.read_text(encoding="utf-8")
        anchor = next(line for line in original.splitlines() if line
                      and not line.startswith(("#", "-", " ", "---"))
                      and ":" not in line and "：" not in line)
        polled = []
        for number in range(rounds):
            marker = f"POLL{number:03d}"
            source.write_text(original.replace(anchor, anchor + marker, 1), encoding="utf-8")
            written = time.perf_counter()
            while marker not in fetch(url):
                time.sleep(0.002)
            polled.append(time.perf_counter() - written)
            time.sleep(0.3)  # let the watcher settle before the next save
        reloaded = asyncio.run(reloads(port, url, source, original, anchor, rounds))
        source.write_text(original, encoding="utf-8")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return full, start, reloaded, polled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--large", type=int, default=1000)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="plansite-bench-"))
    try:
        small = make_corpus(0, scratch / "five")
        for path in (PROJECT / "content" / "plans").glob("*.md"):
            shutil.copy(path, small / "content" / "plans" / path.name)
        large = make_corpus(args.large, scratch / "large")
        print(f"{'site':<14} {'full rebuild':>13} {'start':>7} {'median save→reload':>19} {'worst':>8} "
              f"{'median/full':>12} {'median polled':>14}")
        for name, project, plan in (("5 plans", small, "mof-2017"),
                                    (f"{args.large} plans", large, "plan-0003")):
            full, start, reloaded, polled = measure(project, plan, args.rounds)
            median = statistics.median(reloaded)
            print(f"{name:<14} {full:>12.2f}s {start:>6.2f}s {1000 * median:>17.0f}ms "
                  f"{1000 * max(reloaded):>6.0f}ms {median / full:>11.1%} "
                  f"{1000 * statistics.median(polled):>12.0f}ms")
    finally:
        shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
