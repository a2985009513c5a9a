"""What searching costs a reader: the search page of a big site, in real Chromium.

    .venv/bin/python bench/search.py                # 1,000 plans, the build's shards and one index
    .venv/bin/python bench/search.py --plans 100

A big site's index is built in shards (plansite/search.py, PLANS_PER_SHARD) so that editing
a plan re-indexes one shard; the search page then merges every shard before its first query.
This measures what that costs the people searching, against one index of the whole site
built from the same pages. For each index and each query it opens the search page at
``?q=…`` in a fresh browser context (nothing cached: a reader's first search) and times it
until the first results are shown, then types a second query into the same page (the index
already loaded). It also counts the requests and the bytes the browser fetched.

Each is measured twice: as on a desktop (no throttling), and as on a mid-range phone on a
slow mobile network, with the settings Lighthouse uses for its mobile runs (four times slower
processor; 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) set through the DevTools
protocol. Nothing here is an assertion: the figures belong in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.corpus import make_corpus
from plansite.check import CHROMIUM, serve
from plansite.content import load_glossary
from plansite.search import BUNDLE, PLANS_PER_SHARD, index_site

QUERIES = [("", "服務"), ("", "線上申辦"), ("", "開放"), ("en/", "service"), ("en/", "online application")]
"""(language prefix, query): a word on every plan page, a term on some, a word whose two
characters are common but which is rarer; the same for English."""

PHONE = {
    "cpu": 4,
    "network": {"offline": False, "latency": 150, "downloadThroughput": 1.6384e6 / 8,
                "uploadThroughput": 750e3 / 8},
}
"""Lighthouse's mobile throttling: its 'slow 4G' network and a processor four times slower."""

def prepare(count: int, folder: Path) -> Path:
    """A built corpus of ``count`` plans (HTML only), made with the normal build."""
    corpus = make_corpus(count, folder / f"corpus-{count}")
    env = os.environ | {"PLANSITE_CACHE": str(folder / "cache")}
    subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(corpus), "--no-downloads"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return corpus


def with_shards(corpus: Path, folder: Path, plans_per_shard: int) -> tuple[Path, float]:
    """A copy of the built site indexed in shards of this many plans, and the seconds that took."""
    site = folder / f"shards-of-{plans_per_shard}"
    shutil.copytree(corpus / "site", site, ignore=shutil.ignore_patterns(BUNDLE), copy_function=os.link)
    started = time.perf_counter()
    index_site(site, load_glossary(corpus), plans_per_shard=plans_per_shard)
    return site, time.perf_counter() - started


def throttle(page, profile: dict | None) -> None:
    if profile:
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", profile["network"])
        session.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})


def finished(page) -> None:
    page.locator("[data-results][data-done]").wait_for(state="attached", timeout=300_000)


def search(browser, url: str, prefix: str, query: str, profile: dict | None) -> tuple[float, float, int, float, str]:
    """(seconds to the first results, seconds for a second query on the same page, requests,
    kilobytes fetched, what the page announced) of one query on a fresh page."""
    context = browser.new_context()
    fetched: list = []
    context.on("requestfinished", lambda request: fetched.append(request))  # the worker's too
    page = context.new_page()
    throttle(page, profile)
    started = time.perf_counter()
    page.goto(f"{url}{prefix}search/index.html?q={query}")
    finished(page)
    first = time.perf_counter() - started
    announced = page.locator("[data-status]").inner_text()
    requests = len(fetched)
    kilobytes = sum(request.sizes()["responseBodySize"] for request in fetched) / 1024
    again = "品質" if not prefix else "quality"
    page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
    started = time.perf_counter()
    page.locator("input[name=q]").fill(again)
    page.keyboard.press("Enter")
    finished(page)
    second = time.perf_counter() - started
    context.close()
    return first, second, requests, kilobytes, announced


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--per-shard", type=int, nargs="*", default=[], metavar="PLANS",
                        help="also shards of this many plans (the build's, and one index, always)")
    options = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("Chromium is missing: run ./setup, or: sudo apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="plansite-search-bench-") as scratch:
        corpus = prepare(options.plans, Path(scratch))
        sites = {}
        for size in sorted({PLANS_PER_SHARD, *options.per_shard, options.plans}):
            site, seconds = with_shards(corpus, Path(scratch), size)
            shards = -(-options.plans // size)
            name = "one index" if shards == 1 else f"{shards} shards of {size}"
            sites[name + (" (build)" if size == PLANS_PER_SHARD else "")] = site
            print(f"{name}: indexed in {seconds:.1f} s", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            print(f"N = {options.plans:,} plans; seconds until the first results are shown")
            print(f"{'index':26} {'profile':8} {'query':20} {'first':>7} {'second':>7} {'requests':>9} "
                  f"{'KB':>7}  announced")
            for name, site in sites.items():
                with serve(site) as url:
                    for profile_name, profile in (("desktop", None), ("phone", PHONE)):
                        for prefix, query in QUERIES:
                            first, second, requests, kilobytes, announced = search(browser, url, prefix, query, profile)
                            print(f"{name:26} {profile_name:8} {query:20} {first:7.2f} {second:7.2f} "
                                  f"{requests:9} {kilobytes:7.0f}  {announced[:40]}", flush=True)
            browser.close()


if __name__ == "__main__":
    main()
