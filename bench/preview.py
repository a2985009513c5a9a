"""Save-to-updated-HTML latency of ``python build.py serve``, against a full rebuild.

For the five-plan site and a synthetic 1,000-plan site (bench/corpus.py), in the same run:
- full: a cold ``python build.py --no-downloads`` of the whole site (the baseline);
- start: the time from launching ``serve --no-downloads`` (on the site that build just
  published) to its first page served;
- preview: ``serve --no-downloads`` runs in a subprocess; each round edits one plan's
  paragraph, and the time until the served page shows the edit is measured over HTTP.

    .venv/bin/python bench/preview.py [--rounds 15] [--large 1000]

Prints the median and worst latency and the ratio of the median to the full rebuild. Nothing
here asserts a time: results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
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

from bench.corpus import make_corpus


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def measure(project: Path, plan: str, rounds: int) -> tuple[float, float, list[float]]:
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
        latencies = []
        for number in range(rounds):
            marker = f"BENCH{number:03d}"
            source.write_text(original.replace(anchor, anchor + marker, 1), encoding="utf-8")
            written = time.perf_counter()
            while marker not in fetch(url):
                time.sleep(0.002)
            latencies.append(time.perf_counter() - written)
            time.sleep(0.3)  # let the watcher settle before the next save
        source.write_text(original, encoding="utf-8")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return full, start, latencies


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
        print(f"{'site':<14} {'full rebuild':>13} {'start':>7} {'median save→served':>19} {'worst':>8} "
              f"{'median/full':>12}")
        for name, project, plan in (("5 plans", small, "mof-2017"),
                                    (f"{args.large} plans", large, "plan-0003")):
            full, start, latencies = measure(project, plan, args.rounds)
            median = statistics.median(latencies)
            print(f"{name:<14} {full:>12.2f}s {start:>6.2f}s {1000 * median:>17.0f}ms "
                  f"{1000 * max(latencies):>6.0f}ms {median / full:>11.1%}")
    finally:
        shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
