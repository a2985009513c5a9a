"""Our own stages at two or more revisions, in one invocation, alternating: what a change gains.

    .venv/bin/python bench/compare.py a94505b HEAD                 # 300 plans, 2 rounds
    .venv/bin/python bench/compare.py a94505b HEAD --plans 100 --rounds 3
    .venv/bin/python bench/compare.py d4374ea 7a2c9d3 --plans 1000 --rounds 6 --one-plan

A single build's time on a machine shared with other work varies by a fifth, more than most
changes gain; timing the revisions one after the other, round after round, on the same corpus,
lets the machine's mood fall on each alike. Each revision is unpacked from git (its code and
templates; the corpus takes that revision's templates), and each run is a cold build with an
empty cache and without the search stage (everything but Pagefind's indexing: our own stages,
as `bench/run.py` reports them). It prints each run, then the best of each revision and its
ratio to the first revision's. With ``--one-plan`` it times rebuilds instead: each revision
builds once into a cache and site of its own, then each round changes one plan's text and
rebuilds with every revision (the median is printed too: rebuilds vary less than cold
builds, and a best of few flatters). Nothing here is an assertion: the figures belong in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.corpus import make_corpus
from bench.run import ENVIRONMENT, WITHOUT_SEARCH


def unpack(revision: str, folder: Path) -> Path:
    """The files of ``revision`` (plansite/ and templates/) in a folder of their own."""
    target = folder / revision.replace("/", "-")
    target.mkdir()
    archive = subprocess.run(["git", "archive", revision, "plansite", "templates"], cwd=PROJECT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def own_stages(code: Path, corpus: Path, scratch: Path, cold: bool = True) -> tuple[float, float]:
    """(seconds, processor seconds with the workers) of a build of ``corpus`` by ``code``: cold
    (an empty cache and no site), or a rebuild into ``code``'s own cache and site."""
    shutil.rmtree(corpus / "templates")
    shutil.copytree(code / "templates", corpus / "templates")
    output, cache = (scratch / "site", scratch / "cache") if cold else (code / "site", code / "cache")
    if cold:
        for folder in (output, cache):
            shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryFile() as messages:  # a pipe nobody reads would fill up with warnings
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", WITHOUT_SEARCH, str(code), "--project", str(corpus),
                                    "--no-downloads", "--output", str(output)],
                                   env=ENVIRONMENT | {"PLANSITE_CACHE": str(cache)},
                                   stdout=subprocess.DEVNULL, stderr=messages)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status:
            messages.seek(0)
            raise SystemExit(f"the build of {code.name} failed:\n{messages.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", metavar="REVISION",
                        help="git revisions, the first the baseline")
    parser.add_argument("--plans", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--one-plan", action="store_true",
                        help="time rebuilds after one plan's text changed, not cold builds")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plansite-compare-") as folder:
        scratch = Path(folder)
        codes = [unpack(revision, scratch) for revision in options.revisions]
        corpus = make_corpus(options.plans, scratch / "corpus")
        edited = sorted((corpus / "content" / "plans").glob("*.zh-Hant.md"))[options.plans // 2]
        if options.one_plan:
            for code in codes:  # each revision's own cache and site, built once
                own_stages(code, corpus, scratch, cold=False)
        runs: dict[str, list[tuple[float, float]]] = {}
        for round_ in range(1, options.rounds + 1):
            if options.one_plan:
                text = edited.read_text(encoding="utf-8")
                edited.write_text(text.replace("。", f"。（改{round_}）", 1), encoding="utf-8")
            order = list(zip(options.revisions, codes, strict=True))
            for revision, code in order if round_ % 2 else order[::-1]:  # neither always first
                seconds, cpu = own_stages(code, corpus, scratch, cold=not options.one_plan)
                runs.setdefault(revision, []).append((seconds, cpu))
                print(f"round {round_}  {revision:12} {seconds:7.1f} s  processor {cpu:7.1f} s", flush=True)
        first = options.revisions[0]
        best = {revision: (min(s for s, _ in times), min(c for _, c in times))
                for revision, times in runs.items()}
        kind = "a rebuild after one plan changed" if options.one_plan else "cold"
        print(f"\nN = {options.plans:,} plans, our own stages ({kind}, no search), best of {options.rounds}")
        for revision, (seconds, cpu) in best.items():
            print(f"{revision:12} {seconds:7.1f} s ({seconds / best[first][0]:.2f}×)  "
                  f"processor {cpu:7.1f} s ({cpu / best[first][1]:.2f}×)")
        if options.one_plan:
            median = {revision: statistics.median(s for s, _ in times) for revision, times in runs.items()}
            print("median: " + ", ".join(f"{revision} {seconds:.2f} s ({seconds / median[first]:.2f}×)"
                                         for revision, seconds in median.items()))


if __name__ == "__main__":
    main()
