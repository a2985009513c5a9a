"""A synthetic corpus of N plans in the real format, for benchmarks: the five real plans,
Chinese and English, copied round-robin under new ids (so sizes and action trees are the
seeds' own: 0 to 107 actions, up to three group levels). Deterministic: the same N gives the
same files.

    .venv/bin/python bench/corpus.py 1000 /tmp/corpus-1000
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def make_corpus(count: int, target: Path) -> Path:
    """A project folder at ``target`` with ``count`` plans (both languages) and the real
    templates, catalogs, glossary and configuration."""
    if target.exists():
        shutil.rmtree(target)
    for name in ("templates", "locales"):
        shutil.copytree(PROJECT / name, target / name)
    shutil.copy(PROJECT / "site.yml", target / "site.yml")
    plans = target / "content" / "plans"
    plans.mkdir(parents=True)
    for name in ("glossary.yml", "frameworks.yml"):
        shutil.copy(PROJECT / "content" / name, target / "content" / name)
    seeds = sorted({p.name.split(".")[0] for p in (PROJECT / "content" / "plans").glob("*.md")})
    for number in range(count):
        seed = seeds[number % len(seeds)]
        new = f"{seed}-{number:04d}"
        for source in (PROJECT / "content" / "plans").glob(f"{seed}.*.md"):
            text = re.sub(r"^id: .*$", f"id: {new}", source.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
            (plans / source.name.replace(seed, new, 1)).write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":
    make_corpus(int(sys.argv[1]), Path(sys.argv[2]))
