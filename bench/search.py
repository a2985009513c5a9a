"""What searching costs a reader: the search page of a big site, in real Chromium.

    .venv/bin/python bench/search.py                # 1,000 plans, the build's shards and one index
    .venv/bin/python bench/search.py --plans 100
    .venv/bin/python bench/search.py --plans 200 --baseline c8a2434 --only-build
    .venv/bin/python bench/search.py --indexer standard    # Pagefind's standard binary against the build's

Every search is also made with the search page's script of an earlier version (``--baseline``,
a git revision, ``main`` unless given) over the same site and index, in the same run, and the
times are given as ratios to it: what a change to templates/assets/search.js gains or costs.

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

import plansite.search
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


def with_shards(corpus: Path, folder: Path, plans_per_shard: int, indexer: str = "") -> tuple[Path, float]:
    """A copy of the built site indexed in shards of this many plans, and the seconds that took;
    with ``indexer``, by that Pagefind binary instead of the build's."""
    site = folder / f"shards-of-{plans_per_shard}{'-' + indexer if indexer else ''}"
    shutil.copytree(corpus / "site", site, ignore=shutil.ignore_patterns(BUNDLE), copy_function=os.link)
    started = time.perf_counter()
    build_binary = plansite.search.get_executable
    if indexer:
        plansite.search.get_executable = INDEXERS[indexer]
    try:
        index_site(site, load_glossary(corpus), plans_per_shard=plans_per_shard)
    finally:
        plansite.search.get_executable = build_binary
    return site, time.perf_counter() - started


def standard_binary() -> str:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SystemExit("--indexer standard needs Pagefind's standard binary: .venv/bin/pip install "
                         "pagefind_bin==1.5.2") from None
    return get_executable()


INDEXERS = {"standard": standard_binary}
"""Pagefind binaries other than the build's, to compare with it (--indexer)."""


def throttle(page, profile: dict | None) -> None:
    if profile:
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", profile["network"])
        session.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})


def finished(page) -> None:
    page.locator("[data-results][data-done]").wait_for(state="attached", timeout=300_000)


def with_baseline(site: Path, folder: Path, revision: str) -> Path:
    """A copy of the site (linked files) whose search page runs the script of ``revision``."""
    copy = folder / f"baseline-{site.name}"
    shutil.copytree(site, copy, copy_function=os.link)
    script = copy / "assets" / "search.js"
    script.unlink()  # a linked file: writing into it would change the site measured against it
    script.write_bytes(subprocess.run(["git", "show", f"{revision}:templates/assets/search.js"], cwd=PROJECT,
                                      check=True, capture_output=True).stdout)
    return copy


def search(browser, url: str, prefix: str, query: str, profile: dict | None
           ) -> tuple[float, float, float, int, float, str]:
    """(seconds to the first result shown, seconds to the first batch of results, seconds for
    a second query on the same page, requests, kilobytes fetched, what the page announced) of
    one query on a fresh page."""
    context = browser.new_context()
    fetched: list = []
    context.on("requestfinished", lambda request: fetched.append(request))  # the worker's too
    page = context.new_page()
    throttle(page, profile)
    started = time.perf_counter()
    page.goto(f"{url}{prefix}search/index.html?q={query}")
    page.locator("[data-list] > li").first.wait_for(state="attached", timeout=300_000)
    shown = time.perf_counter() - started
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
    return shown, first, second, requests, kilobytes, announced


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--per-shard", type=int, nargs="*", default=[], metavar="PLANS",
                        help="also shards of this many plans (the build's, and one index, unless "
                             "--only-build)")
    parser.add_argument("--only-build", action="store_true", help="only the build's shards, not one index")
    parser.add_argument("--baseline", default="main", metavar="REVISION",
                        help="the git revision whose search script the times are compared with (default: "
                             "main)")
    parser.add_argument("--indexer", choices=sorted(INDEXERS),
                        help="instead: the build's shards indexed by this Pagefind binary, each time "
                             "compared with the same shards indexed by the build's binary (same script)")
    options = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("Chromium is missing: run ./setup, or: sudo apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="plansite-search-bench-") as scratch:
        corpus = prepare(options.plans, Path(scratch))
        sites = {}
        sizes = {PLANS_PER_SHARD, *options.per_shard} | (set() if options.only_build else {options.plans})
        baselines = {}
        if options.indexer:  # the other binary against the build's, on the build's shards
            sizes = set()
            build_site, seconds = with_shards(corpus, Path(scratch), PLANS_PER_SHARD)
            print(f"the build's shards, the build's binary: indexed in {seconds:.1f} s", flush=True)
            site, seconds = with_shards(corpus, Path(scratch), PLANS_PER_SHARD, options.indexer)
            print(f"the build's shards, the {options.indexer} binary: indexed in {seconds:.1f} s", flush=True)
            sites[f"{options.indexer} binary"] = site
            baselines[f"{options.indexer} binary"] = build_site
        for size in sorted(sizes):
            site, seconds = with_shards(corpus, Path(scratch), size)
            shards = -(-options.plans // size)
            name = "one index" if shards == 1 else f"{shards} shards of {size}"
            sites[name + (" (build)" if size == PLANS_PER_SHARD else "")] = site
            print(f"{name}: indexed in {seconds:.1f} s", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            print(f"N = {options.plans:,} plans; seconds until the first result is shown ('shown'), until "
                  "the first batch is ('batch'), and for a second query; 'x base' is each time over the same "
                  f"time with the search script of {options.baseline}"
                  + (" (--indexer: with the build's binary)" if options.indexer else ""))
            print(f"{'index':26} {'script':8} {'profile':8} {'query':20} {'shown':>6} {'x base':>6} "
                  f"{'batch':>6} {'x base':>6} {'second':>6} {'x base':>6} {'requests':>8} {'KB':>6}  "
                  "announced")
            for name, site in sites.items():
                baseline = baselines.get(name) or with_baseline(site, Path(scratch), options.baseline)
                with serve(site) as url, serve(baseline) as base_url:
                    for profile_name, profile in (("desktop", None), ("phone", PHONE)):
                        for prefix, query in QUERIES:
                            # the baseline first, then this version, query by query: both see the same machine
                            before = search(browser, base_url, prefix, query, profile)
                            now = search(browser, url, prefix, query, profile)
                            for script, times in (("baseline", before), ("this", now)):
                                shown, first, second, requests, kilobytes, announced = times
                                ratios = [f"{t / b:6.2f}" if script == "this" else f"{'':6}"
                                          for t, b in zip(times[:3], before[:3], strict=True)]
                                print(f"{name:26} {script:8} {profile_name:8} {query:20} {shown:6.2f} "
                                      f"{ratios[0]} {first:6.2f} {ratios[1]} {second:6.2f} {ratios[2]} "
                                      f"{requests:8} {kilobytes:6.0f}  {announced[:40]}", flush=True)
            browser.close()


if __name__ == "__main__":
    main()
