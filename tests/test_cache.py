"""The cache store and the fingerprint every key starts from: an entry is made once and then
read, a damaged one is made again, a failed make leaves nothing, pruning keeps what this build
used and what a running build is writing, a folder entry is whole or absent, and the
fingerprint changes with the code and the tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plansite import cache
from plansite.cache import Store, fingerprint


def dead_pid() -> str:
    """The id of a process that has ended."""
    return subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_an_entry_is_made_once_then_read(tmp_path: Path) -> None:
    made: list[str] = []

    def make() -> dict:
        made.append("made")
        return {"plan": ("a", 1)}

    assert Store(tmp_path / "plans").get_or_make("k1", make) == {"plan": ("a", 1)}
    again = Store(tmp_path / "plans")  # another build
    assert again.get_or_make("k1", make) == {"plan": ("a", 1)}
    assert made == ["made"], "the second build reads the entry instead of making it"
    assert again.get_or_make("k2", make) == {"plan": ("a", 1)} and len(made) == 2, "another key is a miss"
    assert Store(tmp_path / "files").get_or_make("k", lambda: b"%PDF", ".pdf") == b"%PDF"
    assert (tmp_path / "files" / "k.pdf").read_bytes() == b"%PDF", "bytes are kept as they are"


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95"])
def test_a_damaged_entry_is_made_again(tmp_path: Path, damage: bytes) -> None:
    store = Store(tmp_path)
    store.get_or_make("key", lambda: ["old"])
    (tmp_path / "key.pickle").write_bytes(damage)
    assert Store(tmp_path).get_or_make("key", lambda: ["new"]) == ["new"]
    assert Store(tmp_path).get_or_make("key", lambda: ["never"]) == ["new"], "the entry was repaired"


def test_a_failed_make_or_write_leaves_no_entry(tmp_path: Path) -> None:
    store = Store(tmp_path)

    def fails() -> bytes:
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError):
        store.get_or_make("key", fails)
    (tmp_path / "key.odt").mkdir()  # the write fails at its rename, as on a full disk it would earlier
    with pytest.raises(OSError) as raised:
        store.get_or_make("key", lambda: b"x", ".odt")
    assert raised.value.filename == str(tmp_path), "the error names the store's folder"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["key.odt"], "no entry, no half-written file"


def test_prune_keeps_what_this_build_used_and_what_a_running_build_writes(tmp_path: Path) -> None:
    old = Store(tmp_path)
    for key in ("kept", "read", "stale"):
        old.write(key, b"x")
    inputs = old.part("inputs")
    inputs.write("stale", b"x", ".key")
    dead = dead_pid()
    for name in (f"half.pickle.tmp-{dead}", f"writing.pickle.tmp-{os.getpid()}"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f"scratch.tmp-{dead}-abc").mkdir()
    (tmp_path / f"scratch.tmp-{os.getpid()}-abc").mkdir()

    build = Store(tmp_path)
    build.keep("kept")
    assert build.read("read") == b"x"
    assert build.read("missing") is None
    build.write("new", b"y")
    build.part("inputs").prune()
    build.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "kept.pickle", "read.pickle", "new.pickle", "inputs", f"writing.pickle.tmp-{os.getpid()}",
        f"scratch.tmp-{os.getpid()}-abc"])
    assert list((tmp_path / "inputs").iterdir()) == []


def test_a_folder_entry_is_whole_or_absent(tmp_path: Path) -> None:
    store = Store(tmp_path)
    calls: list = []

    def make(scratch: Path) -> Path:
        calls.append(scratch)
        assert scratch.parent == tmp_path and ".tmp-" in scratch.name, "made inside the store"
        (scratch / "index" / "part").mkdir(parents=True)
        (scratch / "index" / "entry.json").write_text("{}")
        (scratch / "index" / "part" / "chunk").write_bytes(b"1")
        calls.append((scratch / "index" / "part" / "chunk").stat().st_ino)
        return scratch / "index"

    entry = store.get_or_make_folder("key", make)
    assert entry == tmp_path / "key" and sorted(p.name for p in entry.rglob("*")) == ["chunk", "entry.json",
                                                                                      "part"]
    assert (entry / "part" / "chunk").stat().st_ino == calls[1], "moved in by one rename, never copied"
    assert store.get_or_make_folder("key", make) == entry and len(calls) == 2, "kept: not made again"

    def half(scratch: Path) -> Path:
        (scratch / "index").mkdir()
        (scratch / "index" / "entry.json").write_text("{")
        raise OSError(28, "No space left on device")  # as a full disk would, halfway

    with pytest.raises(OSError) as raised:
        store.get_or_make_folder("other", half)
    assert raised.value.filename == str(tmp_path), "a full disk names the store, not a scratch folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"], "no half entry, no scratch folder left"

    shutil.rmtree(entry / "part")  # damaged: not whole
    assert store.get_or_make_folder("key", make, whole=lambda f: (f / "part").is_dir()) == entry
    assert len(calls) == 4 and (entry / "part" / "chunk").is_file(), "a damaged entry is made again"
    store.used.clear()
    store.prune()
    assert list(tmp_path.iterdir()) == []


def test_the_fingerprint_changes_with_the_code_and_the_tools(tmp_path: Path, monkeypatch) -> None:
    """Every key starts from it, so a change of plansite's code (any file of the package) or of
    a tool's version must change it; within a process it is computed once."""
    code = tmp_path / "plansite"
    shutil.copytree(cache.CODE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "CODE", code)
    seen = []

    def fresh(*extra) -> str:
        cache.code_and_tools.cache_clear()
        seen.append(fingerprint(*extra))
        return seen[-1]

    try:
        first = fresh()
        assert fingerprint() == first and fresh() == first, "the same code and tools: the same fingerprint"
        assert fresh("font 1") != first, "what a key adds counts"
        with (code / "render_html.py").open("a") as file:
            file.write("\n")
        assert fresh() not in seen[:-1]
        (code / "data" / "plan.schema.json").write_bytes(b"{}")
        assert fresh() not in seen[:-1], "a data file of the package is code too"
        versions = cache.version
        monkeypatch.setattr(cache, "version", lambda name: versions(name) + ("+1" * (name == "jinja2")))
        assert fresh() not in seen[:-1], "a tool's new version"
    finally:
        cache.code_and_tools.cache_clear()
