"""The build benchmark: plansite against the floor of a Python pipeline, in one invocation.

    .venv/bin/python bench/run.py               # N = 100 and 1,000
    .venv/bin/python bench/run.py 100           # one size
    .venv/bin/python bench/run.py --cold 300    # the cold build's stages only (quicker)

For each N it makes the corpus (bench/corpus.py: N generated plans in both languages) and
times, each run as its own process so that its peak memory can be read:

- the baseline: markdown-it-py + Jinja2 over the same plan files (parse, render one
  template, write the file), on every core — the floor for a Python pipeline;
- plansite's cold build without downloads (HTML, data, feeds, search index), and at N = 100
  the cold build with every ODT and PDF (empty download cache);
- a rebuild with nothing changed, and a rebuild after one plan's text changed (and the same
  rebuild without the search stage: the target leaves out re-indexing the plan's shard; then
  another such rebuild, the first to start from the folders of the site it replaces rather
  than those the cold build laid out);
- the search index alone (Pagefind over the cold build's pages, no cache), to show how much
  of the cold build it is; and hard-linking every file of the built site into a fresh
  folder, the least any rebuild that publishes atomically must do;
- at N = 100, a rebuild with the downloads after one plan changed;
- our own stages: the cold build again, with an empty cache and the search stage left out
  (everything but Pagefind's indexing), so the search stage's share is the difference;
- Hugo over the same plan files, when a ``hugo`` command is found (bench/hugo.py).

With ``--cold``, only the baseline, the cold builds, the search index alone and Hugo run.

It prints seconds, the ratio to the baseline (cold builds) or to the cold build (rebuilds),
the targets of issue 8, and peak memory. Nothing here is an assertion: the figures belong in
docs/performance.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.corpus import make_corpus
from bench.hugo import hugo_seconds

BASELINE = r'''
import sys
from multiprocessing import Pool
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html lang=\"{{ lang }}\"><head><meta charset=\"utf-8\"><title>{{ title }}</title>"
    "</head><body><main>{{ body|safe }}</main></body></html>")
MARKDOWN = MarkdownIt("commonmark")


def page(path):
    text = Path(path).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    title = next((line[7:] for line in front.splitlines() if line.startswith("title: ")), "")
    html = TEMPLATE.render(lang="en" if ".en." in path else "zh-Hant-TW", title=title,
                           body=MARKDOWN.render(body))
    out = Path(sys.argv[2]) / (Path(path).name[:-3] + ".html")
    out.write_text(html, encoding="utf-8")


if __name__ == "__main__":
    files = sorted(str(p) for p in Path(sys.argv[1]).glob("*.md"))
    Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
    with Pool() as pool:
        pool.map(page, files, chunksize=16)
'''


SEARCH_ONLY = f"""
import resource, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {str(PROJECT)!r})
from plansite.content import load_glossary
from plansite.search import BUNDLE, index_site
project = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as scratch:
    site = Path(scratch) / "site"
    shutil.copytree(sys.argv[2], site, ignore=shutil.ignore_patterns(BUNDLE, "*.json", "*.csv"))
    glossary = load_glossary(project)
    def cpu():
        return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                     resource.getrusage(resource.RUSAGE_CHILDREN)))
    started, used = time.perf_counter(), cpu()
    index_site(site, glossary)
    print(time.perf_counter() - started, cpu() - used)
"""


WITHOUT_SEARCH = """
import sys
sys.path.insert(0, sys.argv.pop(1))  # the plansite to time
import plansite.site
plansite.site.index_site = lambda *args, **kwargs: 0  # everything but the search stage
from plansite.cli import main
sys.argv[0] = "build.py"
sys.exit(main())
"""
"""A cold build without its search stage: our own stages, timed in the same invocation. Its
first argument is the folder of the plansite to run (bench/compare.py times several)."""


LINK_ONLY = """
import os, sys, time
site, target = sys.argv[1], sys.argv[2]
started = time.perf_counter()
for folder, _, names in os.walk(site):
    made = os.path.join(target, os.path.relpath(folder, site))
    os.makedirs(made, exist_ok=True)
    for name in names:
        os.link(os.path.join(folder, name), os.path.join(made, name))
print(time.perf_counter() - started)
"""
"""What any rebuild that publishes a fresh folder costs at least: every file of the site linked
into it (plansite links the unchanged ones, and swaps the folder in only when all are there)."""


ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The environment builds are timed in: Python keeps plansite's compiled modules, as it does on
any machine that has not turned that off (some sandboxes set PYTHONDONTWRITEBYTECODE). Without
them every rebuild compiled plansite again: a tenth of a second, paid by no installed site."""


CPU: dict[str, float] = {}
"""Processor seconds (user and system, with every child process: workers, Pagefind) of the last
command :func:`timed` ran, under "last": on a machine shared with other work they vary far less
than the seconds on the clock."""


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak resident memory in MB of the process) of a command; its processor time
    goes into CPU["last"]."""
    # its messages go to a file: a pipe nobody reads while waiting fills up (a thousand warnings
    # do) and the command then waits for ever
    with tempfile.TemporaryFile() as messages:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=messages)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            messages.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{messages.read().decode()}")
    peak = usage.ru_maxrss / 1024  # the command itself; workers are separate processes
    CPU["last"] = usage.ru_utime + usage.ru_stime  # with its children that it waited for
    return seconds, peak


def measure(count: int, folder: Path, cold_only: bool = False) -> list[tuple[str, float, float, str, str]]:
    corpus = make_corpus(count, folder / f"corpus-{count}")
    plans = corpus / "content" / "plans"
    env = ENVIRONMENT | {"PLANSITE_CACHE": str(folder / f"cache-{count}")}
    # outside the corpus: a site in it built with one cache is an input of a build with another
    build = [sys.executable, str(PROJECT / "build.py"), "--project", str(corpus),
             "--output", str(folder / f"site-{count}")]
    rows = []
    script = folder / "baseline.py"
    script.write_text(BASELINE, encoding="utf-8")
    base, base_memory = timed([sys.executable, str(script), str(plans), str(folder / f"baseline-{count}")],
                              ENVIRONMENT)
    base_cpu = CPU["last"]
    rows.append(("baseline: markdown-it-py + Jinja2", base, base_memory, f"1.00× (CPU {base_cpu:.1f} s)", ""))
    cold, memory = timed([*build, "--no-downloads"], env)
    cold_cpu = CPU["last"]
    rows.append(("cold build, HTML (no downloads)", cold, memory,
                 f"{cold / base:.1f}× baseline (CPU {cold_cpu / base_cpu:.1f}×)", "≤ 4×"))
    own_env = env | {"PLANSITE_CACHE": str(folder / f"own-cache-{count}")}
    own, memory = timed([sys.executable, "-c", WITHOUT_SEARCH, str(PROJECT), "--project", str(corpus),
                         "--no-downloads", "--output", str(folder / f"own-site-{count}")], own_env)
    own_cpu = CPU["last"]
    rows.append(("  our own stages (no search)", own, memory,
                 f"{own / base:.1f}× baseline (CPU {own_cpu / base_cpu:.1f}×)", "≤ 2.5×"))
    search, search_cpu = map(float, subprocess.run([sys.executable, "-c", SEARCH_ONLY, str(corpus),
                                                    str(folder / f"site-{count}")],
                                                   capture_output=True, text=True, check=True).stdout.split())
    share = f"{(cold - own) / search:.2f}× Pagefind alone (CPU {(cold_cpu - own_cpu) / search_cpu:.2f}×)"
    rows.append(("  search stage (cold − own stages)", cold - own, float("nan"), share, "≤ 1.1×"))
    rows.append(("search index alone (Pagefind)", search, float("nan"),
                 f"{search / base:.1f}× baseline (CPU {search_cpu / base_cpu:.1f}×)", ""))
    hugo = hugo_seconds(plans, folder / f"hugo-{count}")
    if hugo is None:
        rows.append(("Hugo: not installed (bench/hugo.py)", float("nan"), float("nan"), "", ""))
    else:
        rows.append(("Hugo over the same plan files", hugo, float("nan"),
                     f"{hugo / base:.1f}× baseline; cold {cold / hugo:.1f}× Hugo", ""))
    if cold_only:
        return rows
    noop, memory = timed([*build, "--no-downloads"], env)
    rows.append(("rebuild, nothing changed", noop, memory, f"{noop / cold:.0%} of cold", "≤ 5%"))
    edited = sorted(plans.glob("*.zh-Hant.md"))[count // 2]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("。", "。（改）", 1), encoding="utf-8")
    one, memory = timed([*build, "--no-downloads"], env)
    rows.append(("rebuild, one plan changed", one, memory, f"{one / cold:.0%} of cold", ""))
    own_build = [sys.executable, "-c", WITHOUT_SEARCH, str(PROJECT), "--project", str(corpus),
                 "--no-downloads", "--output", str(folder / f"own-site-{count}")]
    own_one, memory = timed(own_build, own_env)
    rows.append(("  all but search (own stages)", own_one, memory, f"{own_one / cold:.1%} of cold", "≤ 2%"))
    # the first rebuild after a cold build starts from the empty folders that build laid out in the
    # cache; from the next on, from the folders of the site it replaces
    edited.write_text(text.replace("。", "。（又改）", 1), encoding="utf-8")
    own_again, memory = timed(own_build, own_env)
    rows.append(("  again, one plan changed", own_again, memory, f"{own_again / cold:.1%} of cold", "≤ 2%"))
    linked = float(subprocess.run([sys.executable, "-c", LINK_ONLY, str(folder / f"site-{count}"),
                                   str(folder / f"linked-{count}")],
                                  capture_output=True, text=True, check=True).stdout)
    rows.append(("floor: hard-link the site's files", linked, float("nan"), f"{linked / cold:.0%} of cold",
                 ""))
    if count <= 100:
        downloads = env | {"PLANSITE_CACHE": str(folder / f"empty-cache-{count}")}
        full, memory = timed(build, downloads)
        rows.append(("cold build with ODT and PDF", full, memory, f"{full / base:.1f}× baseline", ""))
        edited.write_text(text.replace("。", "。（再改）", 1), encoding="utf-8")
        again, memory = timed(build, downloads)
        rows.append(("  then one plan changed", again, memory, f"{again / full:.0%} of that cold", ""))
    return rows


def main() -> None:
    cold_only = "--cold" in sys.argv[1:]
    sizes = [int(a) for a in sys.argv[1:] if a != "--cold"] or [100, 1000]
    with tempfile.TemporaryDirectory(prefix="plansite-bench-") as scratch:
        for count in sizes:
            print(f"\nN = {count:,} plans ({2 * count:,} plan files), {os.cpu_count()} cores")
            print(f"{'':36} {'seconds':>8} {'peak MB':>8}  {'ratio':<46} target")
            for name, seconds, memory, ratio, target in measure(count, Path(scratch), cold_only):
                print(f"{name:36} {seconds:8.2f} {memory:8.0f}  {ratio:<46} {target}")


if __name__ == "__main__":
    main()
