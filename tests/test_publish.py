"""Publishing never loses anything: builds killed at every step of the swap, folders that are
not plansite's, and a machine that fails (a full disk, an immutable folder, an unreadable
file). Each build here is a real process, killed with SIGKILL."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from plansite import publish
from plansite.cli import main
from plansite.errors import MachineError
from plansite.publish import (
    FILES,
    FS_IOC_GETFLAGS,
    INHERITED,
    MARK,
    MARK_TEXT,
    UNFINISHED,
    Stamp,
    Writer,
    adopted,
    digest_site,
    marked,
    prepare_output,
    prune,
    staging,
    stamp_name,
    write_atomically,
)

from .conftest import PROJECT, copy_project
from .killed_builds import beside, generation_of, publish_generation, visible

SHM = Path("/dev/shm")


def test_builds_killed_at_every_step_of_the_swap_never_lose_or_half_publish_a_site(tmp_path: Path) -> None:
    """Builds killed at every step of the swap, in every sequence of up to three: see
    tests/killed_builds.py. It runs in a small process of its own, in memory when it can: a
    few hundred builds on a loaded disk took a minute."""
    folder = Path(tempfile.mkdtemp(dir=SHM)) if os.access(SHM, os.W_OK) else tmp_path
    try:
        done = subprocess.run([sys.executable, "-m", "tests.killed_builds", str(folder), "3"], cwd=PROJECT,
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "killed builds from" in done.stdout


def test_the_killed_builds_of_the_issue(tmp_path: Path) -> None:
    """One build killed while it removes the previous site, the next between its two renames:
    the recovery publishes the newer complete site, not the half-removed older one."""
    assert not publish_generation(tmp_path, 1)
    assert not publish_generation(tmp_path, 2)
    assert publish_generation(tmp_path, 3, "removing")
    assert publish_generation(tmp_path, 4, "moved")
    assert not (tmp_path / "site").exists()
    assert visible(tmp_path, tmp_path.parent / f"{tmp_path.name}-scratch") == 4
    assert not publish_generation(tmp_path, 5)
    assert generation_of(tmp_path / "site") == 5 and beside(tmp_path) == ["site"]


def test_folders_named_like_leftovers_but_not_plansites_are_left_alone(tmp_path: Path, capfd) -> None:
    """A folder named site.old-… or site.tmp-… that plansite did not make (someone's backup)
    is never removed, and never published: it is named on stderr."""
    assert not publish_generation(tmp_path, 1)
    backup = tmp_path / "site.old-2024" / "site"
    backup.mkdir(parents=True)
    (backup / "notes.txt").write_text("mine", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    kept = tmp_path / f"site.tmp-{dead}-backup"
    kept.mkdir()
    (kept / "index.html").write_text("mine", encoding="utf-8")
    (tmp_path / "site").rename(tmp_path / "gone")
    assert not publish_generation(tmp_path, 2)
    assert (backup / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (kept / "index.html").read_text(encoding="utf-8") == "mine"
    assert generation_of(tmp_path / "site") == 2
    err = capfd.readouterr().err
    assert "site.old-2024: named like a folder plansite leaves" in err and f"{kept}: named like" in err


def build_cli(project: Path, *options: str, cache: Path, kill_at: str | None = None,
              **popen) -> subprocess.CompletedProcess:
    """``python build.py`` in a process of its own, with its own cache; killed at ``kill_at``."""
    env = {k: v for k, v in os.environ.items()
           if k != "PLANSITE_TEST_KILL_AT"} | {"PLANSITE_CACHE": str(cache)}
    if kill_at:
        env["PLANSITE_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project),
                           "--no-downloads",
                           *options], env=env, capture_output=True, text=True, timeout=300, check=False,
                          **popen)


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def edit(project: Path, text: str) -> None:
    """A visible change to the plan, so that the next build is a real one."""
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    written = plan.read_text(encoding="utf-8").replace("推動以民為本服務", f"推動以民為本服務{text}", 1)
    plan.write_text(written, encoding="utf-8")


def test_real_builds_killed_while_removing_then_between_the_renames(tmp_path: Path) -> None:
    """The issue's sequence with real builds: one killed while it removes the previous site,
    the next between its two renames. The next build publishes a whole site, exactly what a
    clean build makes, and leaves nothing behind: no staging or moved-away folder, no search
    scratch folder in the cache."""
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    cache = tmp_path / "cache"
    assert build_cli(project, cache=cache).returncode == 0
    first = files(project / "site")
    for number, step in enumerate(["removing", "moved"]):
        edit(project, f"（{number}）")
        assert build_cli(project, cache=cache, kill_at=step).returncode == -signal.SIGKILL
    assert not (project / "site").exists(), "killed between the renames: no site until the next build"
    edit(project, "（最後）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    published = files(project / "site")
    pages = {path for path in published if not path.startswith("pagefind/")}  # the index's names are hashes
    assert pages == {path for path in first if not path.startswith("pagefind/")}
    assert "（最後）" in published["plans/mof-2017/index.html"].decode()
    assert build_cli(project, "--output", str(tmp_path / "clean"), cache=cache).returncode == 0
    assert published == files(tmp_path / "clean")
    assert sorted(p.name for p in project.iterdir()) == ["content", "locales", "site", "site.yml",
                                                         "templates"]
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name], "a killed build's temporaries are left"


def tree(site: Path) -> dict[str, tuple]:
    """Every file and folder of a site: its kind and mode, owner, group, attributes (chattr) and
    extended attributes (ACLs), and a file's bytes."""
    found = {}
    for path in sorted(site.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(info.st_mode) else b""
        extended = {name: os.getxattr(path, name, follow_symlinks=False)
                    for name in sorted(os.listxattr(path, follow_symlinks=False))}
        relative = path.relative_to(site).as_posix()
        found[relative] = (info.st_mode, info.st_uid, info.st_gid, attributes(path), extended, data)
    return found


def attributes(path: Path) -> int:
    """A file's or folder's attributes (chattr: immutable, no dump …), 0 for a link."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return 0
    try:
        return struct.unpack("i", fcntl.ioctl(descriptor, FS_IOC_GETFLAGS, bytes(8))[:4])[0] & INHERITED
    finally:
        os.close(descriptor)


def unsearched(listed: bytes) -> bytes:
    """A site's list of its files, less those of the search index."""
    return b"".join(line for line in listed.splitlines(keepends=True) if not line.startswith(b"pagefind/"))


def as_clean_build(project: Path, scratch: Path, search: bool = True, **popen) -> None:
    """The project's published site is what a clean build makes, folders and modes included
    (without ``search``, but for the search index), and nothing else is beside it."""
    done = build_cli(project, "--output", str(scratch / "clean"), cache=scratch / "clean-cache", **popen)
    assert done.returncode == 0, done.stderr
    made, clean = tree(project / "site"), tree(scratch / "clean")
    if not search:  # the search index's files, and the lines of the site's list that name them
        made, clean = ({path: entry[:-1] + (unsearched(entry[-1]),) if path == FILES else entry
                        for path, entry in t.items() if not path.startswith("pagefind")}
                       for t in (made, clean))
    assert made == clean
    assert sorted(p.name for p in project.iterdir()) == ["content", "locales", "site", "site.yml",
                                                         "templates"]


def test_a_rebuild_starts_from_the_replaced_sites_folders_and_nothing_else(published: Path,
                                                                          tmp_path: Path) -> None:
    """The folders of the site a build replaced are kept in the cache, emptied of its files, and
    the next build starts its staging folder as them (making and removing 6,500 folders was a
    third of a one-plan rebuild at 1,000 plans). The cache shares no file with the published
    site, and the site is a clean build's, folders and modes included."""
    project, cache = copy_built(published, tmp_path / "copy")
    edit(project, "（一）")
    assert build_cli(project, cache=cache).returncode == 0
    spare = cache / "spare" / "site"
    assert [p.name for p in spare.rglob("*") if not p.is_dir()] == [UNFINISHED]
    assert marked(spare, UNFINISHED, MARK_TEXT)
    kept = {p.relative_to(spare).as_posix(): p.stat().st_ino for p in spare.rglob("*") if p.is_dir()}
    assert "plans/mof-2017" in kept
    edit(project, "（二）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    site = project / "site"
    # all but the search index's, which its stage makes itself
    still = {path for path in kept if (site / path).is_dir() and path.split("/")[0] != "pagefind"}
    assert {path for path in still if (site / path).stat().st_ino == kept[path]} == still, "made again"
    as_clean_build(project, tmp_path)
    in_cache = {p.stat().st_ino for p in cache.rglob("*") if p.is_file()}
    assert not in_cache & {p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def test_a_first_build_lays_out_the_next_builds_folders(published: Path, tmp_path: Path) -> None:
    """A build that replaced no site keeps empty copies of its folders in the cache, marked
    unfinished, as if it had replaced one: the first rebuild after it makes no folder (at 1,000
    plans, making them was a third of that rebuild). The copies are made beside the site, so
    they are as its staging folder's are, and the rebuilt site is a clean build's."""
    project, cache = copy_built(published, tmp_path / "copy")
    site = project / "site"
    shutil.rmtree(site)
    shutil.rmtree(cache / "spare", ignore_errors=True)
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    spare = cache / "spare" / "site"
    assert [p.name for p in spare.rglob("*") if not p.is_dir()] == [UNFINISHED]
    assert marked(spare, UNFINISHED, MARK_TEXT)
    kept = {p.relative_to(spare).as_posix(): p.stat().st_ino for p in spare.rglob("*") if p.is_dir()}
    assert set(kept) == {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir()}
    assert "plans/mof-2017" in kept
    edit(project, "（一）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    still = {path for path in kept if (site / path).is_dir() and path.split("/")[0] != "pagefind"}
    assert still and {path for path in still if (site / path).stat().st_ino == kept[path]} == still
    as_clean_build(project, tmp_path)


def test_the_recorded_hash_of_a_site_is_the_hash_of_the_site_published(published: Path,
                                                                        tmp_path: Path) -> None:
    """The stamp's hash of the site (which the next build compares with the published site's,
    to know whether it may reuse its files) is made from what the build wrote, not from a walk
    of it: it must be what a walk finds, for a first build, a rebuild, a rebuild from kept
    folders (one where a page now goes) and a build with downloads and search."""
    project, cache = copy_built(published, tmp_path / "copy")
    site = project / "site"

    def recorded() -> str:
        return json.loads((cache / "builds" / stamp_name(site.resolve())).read_text(encoding="utf-8"))["site"]

    shutil.rmtree(site)
    assert build_cli(project, cache=cache).returncode == 0
    assert recorded() == digest_site(site), "a first build"
    for step, text in enumerate(["（一）", "（二）", "（三）"]):
        edit(project, text)
        if step == 2:
            (cache / "spare" / "site" / "plans" / "mof-2017" / "index.html").mkdir()
        done = build_cli(project, cache=cache)
        assert done.returncode == 0, done.stderr
        assert recorded() == digest_site(site), f"rebuild {step + 1}"
    edit(project, "（四）")
    env = os.environ | {"PLANSITE_CACHE": str(cache)}
    done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert (site / "pagefind").is_dir() and list((site / "downloads").iterdir())
    assert recorded() == digest_site(site), "with downloads and search"


@pytest.mark.parametrize("written", [False, True])
def test_an_input_saved_and_put_back_while_a_build_runs_makes_the_next_build_real(
        published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: bool) -> None:
    """A plan saved with new text while a build read it, then put back (an undo, `git stash
    pop`): the site may hold the new text while the files hash as before, and every later build
    said "Nothing changed" (found by an adversarial helper). Such a build's stamp now matches no
    build, so the next one is real; one during which nothing was written still matches."""
    project, cache = copy_built(published, tmp_path / "copy")
    assert build_cli(project, cache=cache).returncode == 0  # without downloads, as the stamps below
    monkeypatch.setenv("PLANSITE_CACHE", str(cache))
    site = project / "site"
    stamp = Stamp(project, site, False, False)
    assert stamp.unchanged()
    if written:
        plan = next((project / "content" / "plans").glob("*.zh-Hant.md"))
        text, before = plan.read_bytes(), plan.stat()
        plan.write_bytes(text.replace("。".encode(), "。（改）".encode(), 1))
        plan.write_bytes(text)
        os.utime(plan, ns=(before.st_atime_ns, before.st_mtime_ns))  # in git, file times count for nothing
    stamp.record([], stamp.known["groups"], digest_site(site))
    assert Stamp(project, site, False, False).unchanged() is not written


def test_a_site_swapped_in_while_a_build_loads_is_walked_again(published: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The build walks the published site while it loads; should another build swap a site in
    meanwhile, that walk no longer says whether the site is as this build's stamp records."""
    project, cache = copy_built(published, tmp_path / "copy")
    site = project / "site"
    edit(project, "（一）")
    assert build_cli(project, cache=cache).returncode == 0
    monkeypatch.setenv("PLANSITE_CACHE", str(cache))
    assert Stamp(project, site, False, False).intact
    stamp = Stamp(project, site, False, False)
    stamp.survey_ahead()
    time.sleep(1)  # the walk is over: it found the site the stamp records
    other = tmp_path / "other"
    shutil.copytree(site, other)
    (other / "index.html").write_text("another build's", encoding="utf-8")
    site.rename(tmp_path / "old")
    other.rename(site)
    assert not stamp.intact


def test_kept_folders_moved_in_before_a_failure_are_all_the_writer_is_told_of(
        published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving the kept folders into a staging folder fails after the first (a full disk): the
    folders it names to the Writer (which removes those the new site leaves empty) are exactly
    those in the staging folder."""
    project, cache = copy_built(published, tmp_path / "copy")
    edit(project, "（一）")
    assert build_cli(project, cache=cache).returncode == 0
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / UNFINISHED).write_bytes(MARK_TEXT)
    moved, rename = [], os.rename

    def full(*args, **kwargs) -> None:
        if moved:
            raise OSError(28, "No space left on device")
        moved.append(rename(*args, **kwargs))

    monkeypatch.setattr(publish.os, "rename", full)
    told = adopted(cache / "spare", stage)
    monkeypatch.undo()
    there = {str(path) for path in stage.rglob("*") if path.is_dir()}
    assert moved and there and told == there
    assert not (cache / "spare" / "site").exists()


def test_a_kept_folder_removed_while_the_site_is_written_is_made_again(tmp_path: Path) -> None:
    """The cache removed while a build writes (the README: deleting .cache/ is always safe): a
    folder moved in from it was gone when a page went in, and the build ended in a traceback."""
    spare = tmp_path / "cache" / "spare"
    (spare / "site" / "plans" / "a").mkdir(parents=True)
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / UNFINISHED).write_bytes(MARK_TEXT)
    writer = Writer(stage, spare)
    assert str(stage / "plans" / "a") in writer.spare
    shutil.rmtree(stage / "plans")
    writer.put("plans/a/index.html", b"page")
    writer.put("plans/b.html", b"other")
    writer.finish()
    assert (stage / "plans" / "a" / "index.html").read_bytes() == b"page"


def test_an_output_where_no_folder_can_be_made_is_one_line(published: Path, tmp_path: Path) -> None:
    """A folder whose parent takes no new folder (/proc) was a traceback from the staging folder."""
    project, cache = copy_built(published, tmp_path / "copy")
    done = build_cli(project, "--output", "/proc/plansite-site", cache=cache)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("/proc") and "nothing can be made in it" in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_an_acl_or_extended_attribute_given_to_a_published_file_stays_out_of_the_next_site(
        published: Path, tmp_path: Path) -> None:
    """A rebuild links the published files that did not change into the new site: one given an
    ACL or an extended attribute since (neither changes its size or time) kept it in every later
    site (found by an adversarial helper). Such a file is copied, as one of another mode is."""
    project, cache = copy_built(published, tmp_path / "copy")
    edit(project, "（一）")
    assert build_cli(project, cache=cache).returncode == 0
    site = project / "site"
    subprocess.run(["setfacl", "-m", "u:nobody:r", str(site / "glossary" / "index.html")], check=True)
    os.setxattr(site / "en" / "glossary" / "index.html", "user.note", b"hand-set")
    edit(project, "（二）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    as_clean_build(project, tmp_path)


def test_a_link_put_at_the_spare_while_its_folders_are_walked_leads_nowhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`spare/` is made a link to another folder holding a `site/` while a build walks the kept
    folders, which then fail (one not as a new folder would be): removing them went through the
    path, so through the link, and deleted the other folder's `site/` (found by an adversarial
    helper). They are removed through the folder the build opened."""
    spare = tmp_path / "cache" / "spare"
    (spare / "site" / "plans" / "a").mkdir(parents=True)
    victim = tmp_path / "victim"
    (victim / "site" / "plans").mkdir(parents=True)
    (victim / "site" / "plans" / "mine.txt").write_text("precious", encoding="utf-8")
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / UNFINISHED).write_bytes(MARK_TEXT)
    traits = publish.folder_traits
    asked: list[int] = []

    def swapped(descriptor: int) -> tuple:
        asked.append(descriptor)
        if len(asked) == 2:  # the first kept folder: the walk has begun
            spare.rename(tmp_path / "moved")
            spare.symlink_to(victim)
            return ("not", "as a new folder")
        return traits(descriptor)

    monkeypatch.setattr(publish, "folder_traits", swapped)
    assert adopted(spare, stage) == set()
    monkeypatch.undo()
    assert (victim / "site" / "plans" / "mine.txt").read_text(encoding="utf-8") == "precious"
    assert not (tmp_path / "moved" / "site").exists()  # the kept folders themselves are gone
    assert sorted(p.name for p in stage.iterdir()) == [UNFINISHED]


@pytest.mark.parametrize("tampering", ["chmod", "files and links", "a folder for a page", "deep",
                                       "another owner", "immutable", "elsewhere", "a link out",
                                       "a link to the site", "the part a link", "acl", "xattr", "nodump",
                                       "acl of the site's folder", "umask", "a folder for the mark",
                                       "long names"])
def test_the_kept_folders_never_bring_anything_into_the_site(published: Path, tmp_path: Path,
                                                            tampering: str) -> None:
    """Whatever was done to the folders a build kept in the cache (a chmod of the cache, a file,
    a mark or a link put there, a folder where the next site has a page, folders nested beyond
    Python's recursion or the system's longest path, another owner, an immutable folder, a cache
    on another disk, the kept folders or their part of the cache replaced by a link, an ACL, an
    extended attribute or a chattr flag on one, a folder where the staging folder has its mark,
    so that moving them in fails halfway), or around them (a default ACL given to the site's
    folder, another umask), the next build publishes exactly a clean build's site, modes,
    owners and attributes included, touches nothing a link leads to, and leaves nothing beside
    the site."""
    project, cache = copy_built(published, tmp_path / "copy")
    edit(project, "（一）")
    assert build_cli(project, cache=cache).returncode == 0
    spare = cache / "spare" / "site"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine", encoding="utf-8")
    (outside / "sub").mkdir()
    (outside / "sub" / "also.txt").write_text("mine", encoding="utf-8")
    blocked, umask = contextlib.ExitStack(), {}
    if tampering == "chmod":
        subprocess.run(["chmod", "-R", "go=", str(cache)], check=True)
        subprocess.run(["chmod", "g+s", str(spare / "plans")], check=True)
    elif tampering == "files and links":
        (spare / MARK).write_bytes(MARK_TEXT)
        (spare / "plans" / "stray.html").write_text("stray", encoding="utf-8")
        (spare / "plans" / "out").symlink_to(outside)
        (spare / UNFINISHED).unlink()
        (spare / UNFINISHED).symlink_to(outside / "keep.txt")
        os.mkfifo(spare / "plans" / "pipe")
    elif tampering == "a folder for a page":
        (spare / "plans" / "mof-2017" / "index.html" / "inside").mkdir(parents=True)
        (spare / "sitemap.xml").mkdir()
    elif tampering == "deep":
        deep = spare / "plans" / "mof-2017"
        for _ in range(1100):  # os.makedirs would recurse as deep
            deep = deep / "d"
            deep.mkdir()
    elif tampering == "long names":  # deeper than PATH_MAX: no write or removal by path reaches it
        folder = os.open(spare / "plans", os.O_RDONLY)
        for _ in range(20):  # each relative to the last: the whole path is too long for the system
            os.mkdir("x" * 250, dir_fd=folder)
            inner = os.open("x" * 250, os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
        os.close(folder)
    elif tampering == "another owner":
        os.chown(spare / "plans", 65534, 65534)
    elif tampering == "immutable":
        blocked.enter_context(immutable(spare / "plans" / "mof-2017", "a"))
    elif tampering == "elsewhere":  # the cache on another disk than the site
        disk = blocked.enter_context(small_disk(tmp_path / "disk", "64m"))
        shutil.copytree(cache, disk / "cache", symlinks=True)
        cache = disk / "cache"
    elif tampering in ("a link out", "a link to the site"):
        shutil.rmtree(spare)
        spare.symlink_to(outside if tampering == "a link out" else project / "site")
    elif tampering == "the part a link":
        shutil.rmtree(spare.parent)
        spare.parent.symlink_to(outside)
    elif tampering == "acl":
        subprocess.run(["setfacl", "-d", "-m", "u::rw,g::rw,o::rw", str(spare / "plans")], check=True)
        subprocess.run(["setfacl", "-m", "u:nobody:rwx", str(spare / "en")], check=True)
    elif tampering == "xattr":
        os.setxattr(spare / "plans", "user.plansite-test", b"1")
    elif tampering == "a folder for the mark":
        (spare / UNFINISHED).unlink()
        (spare / UNFINISHED).mkdir()
    elif tampering == "nodump":
        subprocess.run(["chattr", "+d", str(spare / "plans")], check=True)
    elif tampering == "acl of the site's folder":  # a web server given access by an ACL since
        for folder in (project, tmp_path):  # the clean build's folder too
            subprocess.run(["setfacl", "-d", "-m", "u::rwx,g::rx,o::-,u:nobody:rx", str(folder)], check=True)
    else:  # another umask than the build before
        umask = {"preexec_fn": lambda: os.umask(0o077)}
    edit(project, "（二）")
    with blocked:
        done = build_cli(project, cache=cache, **umask)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        if tampering == "elsewhere":
            assert not (cache / "spare" / "site").exists(), "kept on another disk than the site"
        if tampering in ("deep", "long names"):  # removed however deep
            assert "can be neither used nor removed" not in done.stderr, done.stderr
    # a search index made in a cache on another file system orders its words otherwise (Pagefind
    # reads its folder in the order the file system lists it): docs/performance.md
    as_clean_build(project, tmp_path, search=tampering != "elsewhere", **umask)
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (outside / "sub" / "also.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(os.listdir(outside)) == ["keep.txt", "sub"]


def tagged(tag: str) -> dict[int, str]:
    """The processes whose environment holds ``tag``, by id, with the name of their program."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "environ").read_bytes():
                    found[int(entry.name)] = os.path.basename(os.readlink(entry / "exe"))
            except OSError:  # gone meanwhile, or a kernel thread
                pass
    return found


def age(pid: int) -> float:
    """Seconds since the process started (0 once it is gone)."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except OSError:
        return 0.0
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("helper", ["workers", "pagefind"])
def test_a_killed_build_leaves_no_process_running(tmp_path: Path, helper: str) -> None:
    """SIGKILL to the build alone (not its process group), while its worker processes make the
    PDFs, or while Pagefind indexes: they die with it, even when stopped (so they cannot just
    finish on their own), and the next build leaves nothing of the killed one behind."""
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    cache, tag = tmp_path / "cache", f"PLANSITE_KILL_TEST={uuid.uuid4()}"
    options = [] if helper == "workers" else ["--no-downloads"]
    env = os.environ | {"PLANSITE_CACHE": str(cache), tag.split("=")[0]: tag.split("=")[1]}
    build = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--project", str(project), *options],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, helpers = time.monotonic() + 120, {}
        while not helpers and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            helpers = {pid: name for pid, name in tagged(tag).items() if pid != build.pid and (
                name.startswith("pagefind") if helper == "pagefind" else "python" in name and age(pid) > 0.3)}
        assert helpers, f"the build ended before any of its {helper} could be caught"
        for pid in helpers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        build.kill()
        build.wait()
        deadline = time.monotonic() + 10
        while tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tagged(tag) == {}, f"processes of the killed build are still running: {tagged(tag)}"
    finally:
        for pid in tagged(tag):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["content", "locales", "site", "site.yml",
                                                         "templates"]
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name], "a killed build's temporaries are left"


# ---------------------------------------------------------------- folders that are not plansite's


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A small project with its published site and its cache (copy it: see ``copy_built``)."""
    folder = tmp_path_factory.mktemp("published")
    project = copy_project(folder / "project", plans=["mof-2017"])
    done = build_cli(project, cache=folder / "cache")
    assert done.returncode == 0, done.stderr
    return folder


def copy_built(published: Path, target: Path) -> tuple[Path, Path]:
    """A copy of the published project, site and cache: (project, cache)."""
    shutil.copytree(published, target, symlinks=True)
    return target / "project", target / "cache"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder``, with its bytes and time: anything touched shows."""
    return {p.relative_to(folder).as_posix(): (p.is_dir() or p.read_bytes(), p.lstat().st_mtime_ns)
            for p in folder.rglob("*") if not p.is_symlink()}


def one_line(done: subprocess.CompletedProcess, path: str, words: str, inside: bool = False) -> None:
    """Exit status 1 and one line, ``path: what is wrong — how to fix it``, naming ``path`` (or,
    ``inside``, a path in that folder)."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    named, _, rest = lines[0].partition(": ")
    assert named == path or inside and named.startswith(path), lines[0]
    assert " — " in rest and words in rest, lines[0]


@pytest.mark.parametrize(("output", "shown", "words"), [
    (".", "./", "is the project folder itself"),
    ("..", "../", "holds the project"),
    ("content", "content/", "is inside content/"),
    ("content/plans/new", "content/plans/new", "is inside content/"),
    ("templates/site", "templates/site", "is inside templates/"),
    ("site.yml", "site.yml", "is a file, not a folder"),
    ("../notes", "../notes/", "holds files plansite did not write"),
    ("../cache/site", "../cache/site", "overlaps the cache folder"),
    ("../loop", "../loop", "symbolic link"),
    # a build of site/ takes a folder so named for its own leftover: it published it as site/
    ("site.tmp-preview", "site.tmp-preview", "is named as the folders a build of site/ leaves"),
    ("../site.old-2024", "../site.old-2024", "is named as the folders a build of site/ leaves"),
    ("site/preview", "site/preview", "is inside site/, a site plansite wrote"),  # removed by its next build
])
def test_an_output_that_is_not_plansites_is_refused_with_nothing_touched(
        published: Path, tmp_path: Path, monkeypatch, output: str, shown: str, words: str) -> None:
    """The project, a folder that holds it, the folders a build reads, a file, someone's
    folder, the cache, a symbolic link loop: one line naming it, and not a file changes."""
    project, cache = copy_built(published, tmp_path / "copy")
    (tmp_path / "copy" / "notes").mkdir()
    (tmp_path / "copy" / "notes" / "mine.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "copy" / "loop").symlink_to(tmp_path / "copy" / "loop")
    before = snapshot(tmp_path)
    monkeypatch.chdir(project)
    one_line(main_here(project, cache, "--output", output), shown, words)
    assert snapshot(tmp_path) == before


def main_here(project: Path, cache: Path, *arguments: str) -> SimpleNamespace:
    """``python build.py`` in this process (quicker than a process of its own, for a build
    that must stop before it starts): its exit status and what it printed on stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANSITE_CACHE", str(cache))
        errors = io.StringIO()
        patch.setattr(sys, "stderr", errors)
        status = main(["--project", str(project), *arguments])
    return SimpleNamespace(returncode=status, stderr=errors.getvalue())


@pytest.mark.parametrize("command", [["serve", "--port", "8765"], ["check"], ["build", "--strict"]])
def test_every_command_refuses_someone_elses_folder(published: Path, tmp_path: Path, command) -> None:
    project, cache = copy_built(published, tmp_path / "copy")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    if command[0] == "serve":  # were it not refused, it would serve until stopped: in a process of its own
        env = os.environ | {"PLANSITE_CACHE": str(cache)}
        done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project), *command,
                               "--output", str(notes)], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
    else:
        done = main_here(project, cache, *command, "--output", str(notes))
    one_line(done, f"{notes}/", "holds files plansite did not write")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("before_the_name", [True, False])
def test_the_builds_options_hold_before_or_after_the_command(published: Path, tmp_path: Path,
                                                              before_the_name: bool) -> None:
    """The build command's own copies of the options had defaults, and argparse let them
    overwrite what was given before its name: `--output elsewhere --no-downloads build` made the
    downloads and replaced the published site/ instead of writing elsewhere."""
    project, cache = copy_built(published, tmp_path / "copy")
    published_site = snapshot(project / "site")
    elsewhere = tmp_path / "elsewhere"
    options = ["--output", str(elsewhere), "--no-downloads"]
    done = main_here(project, cache, *([*options, "build"] if before_the_name else ["build", *options]))
    assert done.returncode == 0, done.stderr
    assert snapshot(project / "site") == published_site
    assert (elsewhere / "index.html").is_file()
    assert not [*elsewhere.rglob("*.pdf"), *elsewhere.rglob("*.odt")]


@pytest.mark.parametrize(("arguments", "takes_it"), [
    (["--strict", "serve"], "build, check"),
    (["serve", "--strict"], "build, check"),
    (["--output", "elsewhere", "status"], "build, check, serve"),
    (["status", "--strict"], "build, check"),
    (["--no-downloads", "import", "plan.odt"], "build, check, serve"),
    (["import", "plan.odt", "--output", "elsewhere"], "build, check, serve"),
    (["reviewed", "mof-2017", "--all", "--no-downloads"], "build, check, serve"),
])
def test_an_option_given_to_a_command_it_means_nothing_to_is_refused(
        published: Path, tmp_path: Path, capsys, arguments: list[str], takes_it: str) -> None:
    """Put before the name of a command that has no use for it, an option was silently dropped
    (`--strict serve` is no strict preview), and after it argparse said only "unrecognized
    arguments": either way it is an error that says which commands take it."""
    project, _ = copy_built(published, tmp_path / "copy")
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(["--project", str(project), *arguments])
    assert stopped.value.code == 2
    command = next(word for word in arguments if word in ("serve", "status", "import", "reviewed"))
    flag = next(word for word in arguments if word.startswith("--") and word != "--all")
    said = capsys.readouterr().err.strip().splitlines()[-1]
    expected = f"python build.py: error: {flag} means nothing to {command} — it is an option of {takes_it}"
    assert said == expected
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("flag", ["--strict", "--no-downloads"])
def test_check_without_a_build_refuses_the_options_of_a_build(published: Path, tmp_path: Path, capsys,
                                                              flag: str) -> None:
    """`check --no-build --no-downloads` was accepted, as if it made a quick build to check."""
    project, _ = copy_built(published, tmp_path / "copy")
    with pytest.raises(SystemExit) as stopped:
        main(["--project", str(project), "check", "--no-build", flag])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"python build.py: error: {flag} means nothing to check --no-build, which builds nothing — leave it "
        "out, or leave out --no-build")


@pytest.mark.parametrize("arguments", [["--output="], ["build", "--output", ""], ["--output", " ", "check"]])
def test_an_empty_output_folder_is_refused(published: Path, tmp_path: Path, capsys, monkeypatch,
                                           arguments: list[str]) -> None:
    """An empty --output was the current folder: `--output="$SITE"` with $SITE unset built into
    (and replaced) whatever plansite site the user's shell stood in."""
    project, _ = copy_built(published, tmp_path / "copy")
    monkeypatch.chdir(project / "site")
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(["--project", str(project), *arguments])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        "error: argument --output: it is empty — name the folder to write the site to")
    assert snapshot(tmp_path) == before


def test_a_cache_folder_holding_other_files_is_refused(published: Path, tmp_path: Path) -> None:
    """PLANSITE_CACHE pointed at someone's folder: a build would prune it."""
    project, _ = copy_built(published, tmp_path / "copy")
    mine = tmp_path / "home"
    (mine / "search").mkdir(parents=True)
    (mine / "search" / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    one_line(main_here(project, mine), f"PLANSITE_CACHE={mine}", "holds files plansite did not write")
    assert snapshot(tmp_path) == before


def test_an_output_through_a_symbolic_link_is_built_where_it_leads(published: Path, tmp_path: Path) -> None:
    project, cache = copy_built(published, tmp_path / "copy")
    (tmp_path / "www").mkdir()
    (project / "site").rename(tmp_path / "www" / "plans")
    (project / "site").symlink_to(tmp_path / "www" / "plans")
    edit(project, "（連結）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert (project / "site").is_symlink()
    assert "（連結）" in (tmp_path / "www" / "plans" / "plans" / "mof-2017" / "index.html").read_text(
        encoding="utf-8")
    assert sorted(os.listdir(tmp_path / "www")) == ["plans"]
    (project / "site").unlink()
    (project / "site").symlink_to(project / "content")
    one_line(build_cli(project, cache=cache), "site/", "is inside content/")


def test_files_put_into_the_published_site_by_hand_are_never_deleted(published: Path, tmp_path: Path) -> None:
    """A build replaces the published site whole: a file put into it by hand (a search engine's
    verification file, a folder of uploads) went with it, without a word. The build now refuses,
    in one line naming it, and changes nothing; a page of the site edited by hand is still
    simply made again, and once the files are moved out the build publishes."""
    project, cache = copy_built(published, tmp_path / "copy")
    shutil.rmtree(cache)  # the site itself lists the files plansite wrote: no cache is needed to know them
    site = project / "site"
    (site / "google1234.html").write_text("google-site-verification: google1234.html", encoding="utf-8")
    (site / "uploads" / "2024").mkdir(parents=True)
    (site / "uploads" / "2024" / "report.docx").write_bytes(b"PK\x03\x04")
    before = snapshot(project)
    refused = build_cli(project, cache=cache)
    one_line(refused, "site/google1234.html", "plansite did not write this file (and 1 more: "
             "uploads/2024/report.docx), and a build replaces site/ whole")
    assert snapshot(project) == before
    (site / "google1234.html").unlink()
    shutil.rmtree(site / "uploads")
    (site / "index.html").write_text("changed by hand", encoding="utf-8")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert (site / "index.html").read_text(encoding="utf-8") != "changed by hand"
    # a build stopped after it recorded its files, before its swap: the site still published is
    # the build before's, whose pages of a plan now removed are no one's but plansite's
    english = project / "content" / "plans" / "mof-2017.en.md"
    english.unlink()
    for _ in range(2):  # twice: a list kept beside the site had then lost the published site's files
        assert build_cli(project, cache=cache, kill_at="marked").returncode != 0
        assert (site / "data" / "plans" / "mof-2017.en.json").is_file()
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert not (site / "data" / "plans" / "mof-2017.en.json").exists()


def recorded_before_modes(site: Path) -> str:
    """The site's hash as plansite recorded it before it took in each file's mode: every file's
    and folder's path, size and time."""
    lines = sorted(f"{path.relative_to(site)}\0{info.st_size}\0{info.st_mtime_ns}\n"
                   for path in site.rglob("*") for info in [path.lstat()])
    return hashlib.sha256(os.fsencode("".join(lines))).hexdigest()


def test_a_site_and_a_cache_from_before_marks_are_replaced_only_when_the_stamp_vouches(
        published: Path, tmp_path: Path) -> None:
    """A site an older plansite published has no mark: it is replaced when it is exactly what
    that build's stamp in the cache records, and refused once someone changed it. A cache from
    then is known by its layout."""
    from plansite.publish import CACHE_MARK

    project, cache = copy_built(published, tmp_path / "copy")
    site = project / "site"
    (site / MARK).unlink()
    (cache / CACHE_MARK).unlink()
    shutil.rmtree(cache / "spare")  # kept folders came after the marks
    stamp = cache / "builds" / stamp_name(site.resolve())
    stamp.write_text(json.dumps({"inputs": "older", "site": digest_site(site)}), encoding="utf-8")
    (site / "index.html").write_text("changed by hand", encoding="utf-8")
    before = snapshot(tmp_path)
    one_line(build_cli(project, cache=cache), "site/", "holds files plansite did not write")
    assert snapshot(tmp_path) == before
    stamp.write_text(json.dumps({"inputs": "older", "site": recorded_before_modes(site)}), encoding="utf-8")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert (site / MARK).is_file() and (cache / CACHE_MARK).is_file()
    assert (site / "index.html").read_text(encoding="utf-8") != "changed by hand"


# ---------------------------------------------------------------- a machine that fails


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """``folder`` as a disk of its own of ``size`` (a tmpfs), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk (tmpfs) needs root")
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@contextmanager
def immutable(path: Path, flag: str = "i") -> Iterator[None]:
    """``path`` made immutable (chattr +i: not even root may change it), or append-only (``flag``
    "a": nothing in it may be removed), as it was after."""
    done = subprocess.run(["chattr", f"+{flag}", str(path)], capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"this machine cannot set chattr +{flag} {path}: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", f"-{flag}", str(path)], check=True)


def test_a_full_disk_while_the_site_is_written(published: Path, tmp_path: Path) -> None:
    """The site's disk fills up while the new site is written beside the published one: one
    line naming the file, the published site as it was, and nothing left on that disk."""
    project, cache = copy_built(published, tmp_path / "copy")
    with small_disk(tmp_path / "disk", "1600k") as disk:
        shutil.copytree(project / "site", disk / "site")  # as published there
        before = files(disk / "site")
        edit(project, "（滿）")
        done = build_cli(project, "--output", str(disk / "site"), cache=cache)
        one_line(done, f"{disk}/site/", "the disk is full", inside=True)
        assert files(disk / "site") == before
        assert os.listdir(disk) == ["site"]


@pytest.mark.parametrize("size", ["100k", "200k", "600k"])
def test_a_full_disk_while_the_cache_is_written(published: Path, tmp_path: Path, size: str) -> None:
    """The cache's disk fills up: at its first entry (100k), while the pages Pagefind reads are
    copied there (200k), or while Pagefind writes the index there (600k: Pagefind itself says
    nothing of a full disk). One line naming the cache, never the site; the published site as
    it was; no half-written entry left."""
    project, _ = copy_built(published, tmp_path / "copy")
    before = files(project / "site")
    edit(project, "（滿）")
    with small_disk(tmp_path / "disk", size) as disk:
        done = build_cli(project, cache=disk / "cache")
        one_line(done, f"{disk}/cache/", "the disk is full", inside=True)
        assert not [p for p in (disk / "cache").rglob("*") if ".tmp-" in p.name]
    assert files(project / "site") == before
    assert sorted(p.name for p in project.iterdir()) == ["content", "locales", "site", "site.yml",
                                                         "templates"]


@pytest.mark.parametrize("fault", ["immutable site", "immutable page", "immutable parent", "read-only disk",
                                   "immutable cache", "append-only folder", "append-only page",
                                   "append-only page, built there"])
def test_a_site_or_cache_that_cannot_be_changed(published: Path, tmp_path: Path, fault: str) -> None:
    """site/ (or a page in it, the folder it is in, its disk, the cache) cannot be changed:
    one line naming it and what to do, the published site as it was, nothing left behind.
    "Built there": the last build published the site there, so the walk that finds the site
    as that build left it also finds the page (``Stamp.surveyed``)."""
    project, cache = copy_built(published, tmp_path / "copy")
    with small_disk(tmp_path / "disk", "8m") as disk:
        parent = disk / "www"
        site = parent / "site"
        if fault.endswith("built there"):
            assert build_cli(project, "--output", str(site), cache=cache).returncode == 0
            fault = fault.removesuffix(", built there")
        else:
            shutil.copytree(project / "site", site)  # as published there
        before = files(site)
        edit(project, "（改）")
        if fault == "read-only disk":
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            blocked, expected, words = contextlib.nullcontext(), f"{site}/", "is on a read-only file system"
        else:
            path = {"immutable site": site, "immutable page": site / "plans" / "mof-2017" / "index.html",
                    "immutable parent": parent, "immutable cache": cache / "plans",
                    "append-only folder": site / "plans" / "mof-2017",
                    "append-only page": site / "plans" / "mof-2017" / "index.html"}[fault]
            blocked = immutable(path, "a" if fault.startswith("append-only") else "i")
            expected = f"{path}/" if path.is_dir() else str(path)
            words = ("immutable or append-only" if path != parent and path != cache / "plans"
                     else "cannot be changed")
        with blocked:
            done = build_cli(project, "--output", str(site), cache=cache)
        one_line(done, expected, words)
        assert files(site) == before
        assert os.listdir(parent) == ["site"]


def test_a_project_folder_that_is_not_there_is_one_line_and_nothing_made(tmp_path: Path) -> None:
    """A mistyped --project, with or without a cache given: one line, and no folder made there."""
    for cache in (tmp_path / "cache", None):
        env = {k: v for k, v in os.environ.items() if k != "PLANSITE_CACHE"} | (
            {"PLANSITE_CACHE": str(cache)} if cache else {})
        done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "typo"),
                               "--no-downloads"], env=env, capture_output=True, text=True, timeout=60,
                              check=False)
        one_line(done, str(tmp_path / "typo"), "is not a folder")
        assert sorted(os.listdir(tmp_path)) == [], "something was made"


def test_an_input_file_that_cannot_be_read(tmp_path: Path) -> None:
    """A plan the build may not read: one line naming it, nothing published. As root every file
    can be read, so the build then runs as nobody."""
    base = Path(tempfile.mkdtemp(dir="/tmp" if os.geteuid() == 0 else tmp_path))
    try:
        os.chmod(base, 0o755)
        project = copy_project(base / "project", plans=["mof-2017"])
        plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
        plan.chmod(0)
        command = [sys.executable, str(PROJECT / "build.py"), "--project", str(project), "--no-downloads"]
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", str(base)], check=True)
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
        env = os.environ | {"PLANSITE_CACHE": str(base / "cache"), "HOME": str(base)}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        problem, summary = done.stderr.splitlines()  # a plan's problem, at its path, as every other
        assert problem.startswith("content/plans/mof-2017.zh-Hant.md:1: ")
        assert "(permission denied) — " in problem
        assert summary == "1 problem found; site was not changed."
        assert not (project / "site").exists()
    finally:
        shutil.rmtree(base)


# ---------------------------------------------------------------- what a build must not take for granted


@pytest.mark.parametrize("damage", ["no content/", "no content/plans/", "content/plans is a file",
                                    "content/plans is empty", "content/plans links nowhere"])
def test_no_plans_to_build_is_refused_with_the_site_untouched(published: Path, tmp_path: Path,
                                                              damage: str) -> None:
    """A build of no plan would replace the published site with an empty one."""
    project, cache = copy_built(published, tmp_path / "copy")
    plans = project / "content" / "plans"
    shutil.rmtree(project / "content" if damage == "no content/" else plans)
    if damage == "content/plans is a file":
        plans.touch()
    elif damage == "content/plans is empty":
        plans.mkdir()
    elif damage == "content/plans links nowhere":  # the plans moved, the link left behind
        plans.symlink_to(tmp_path / "moved")
    before = snapshot(project / "site")
    done = main_here(project, cache)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    problem = next(line for line in done.stderr.splitlines() if line.startswith("content/plans:"))
    words = {"content/plans is a file": "is not a folder", "content/plans is empty": "holds no plan",
             "content/plans links nowhere": "is a link to a folder that does not exist"}
    assert words.get(damage, "does not exist") in problem and " — " in problem, problem
    assert done.stderr.endswith("site was not changed.\n")
    assert snapshot(project / "site") == before


@pytest.mark.parametrize(("where", "words"), [
    ("templates/assets/cache", "is inside templates/"),
    ("content/cache", "is inside content/"),
    ("locales/cache", "is inside locales/"),
    (".", "is the project folder"),
    ("site/cache", "overlaps the cache folder"),
    ("../loop", "leads back to itself"),
])
def test_a_cache_where_no_cache_may_be_is_refused(published: Path, tmp_path: Path, monkeypatch, where: str,
                                                  words: str) -> None:
    """A cache in a folder the build reads (templates/assets/ is published), in the project or
    the site, or a link that loops: one line, and not a file changes."""
    project, _ = copy_built(published, tmp_path / "copy")
    (tmp_path / "copy" / "loop").symlink_to(tmp_path / "copy" / "loop")
    before = snapshot(tmp_path)
    monkeypatch.chdir(project)
    done = main_here(project, Path(where))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1 and words in done.stderr and " — " in done.stderr, done.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("part", ["plans", "search", "builds", "downloads/inputs"])
def test_a_damaged_cache_is_made_again(published: Path, tmp_path: Path, part: str) -> None:
    """A file where plansite's cache holds a folder: the build makes that part again."""
    project, cache = copy_built(published, tmp_path / "copy")
    shutil.rmtree(cache / part, ignore_errors=True)
    (cache / part).parent.mkdir(parents=True, exist_ok=True)
    (cache / part).write_text("damaged", encoding="utf-8")
    edit(project, "（修）")
    done = build_cli(project, cache=cache)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "（修）" in (project / "site" / "plans" / "mof-2017" / "index.html").read_text(encoding="utf-8")
    assert not (cache / part).is_file()


def test_an_output_whose_name_is_no_utf8_is_built_and_shown_escaped(published: Path, tmp_path: Path) -> None:
    """A name may hold any byte but '/' and NUL: the stamp hashes it as bytes, messages show it escaped."""
    project, cache = copy_built(published, tmp_path / "copy")
    output = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"out\xff"))
    for said in ("Built 1 plan (", "Nothing changed"):  # one plan, not "1 plans"
        done = build_cli(project, "--output", output, cache=cache)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert said in done.stdout and "out\\xff/" in done.stdout, done.stdout
    assert (Path(output) / "index.html").is_file()


@pytest.mark.parametrize("mark", ["empty", "link", "other text"])
def test_only_plansites_own_mark_makes_a_folder_replaceable(published: Path, tmp_path: Path,
                                                            mark: str) -> None:
    """An empty .plansite, a link named .plansite (even to a real mark) or one with other text
    in a folder of someone's files: refused, nothing touched."""
    project, cache = copy_built(published, tmp_path / "copy")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("mine", encoding="utf-8")
    if mark == "link":
        (notes / ".plansite").symlink_to(project / "site" / ".plansite")
    else:
        (notes / ".plansite").write_text("" if mark == "empty" else "mine\n", encoding="utf-8")
    before = snapshot(tmp_path)
    one_line(main_here(project, cache, "--output", str(notes)), f"{notes}/",
             "holds files plansite did not write")
    assert snapshot(tmp_path) == before


CTRL_C_WHILE_WORKERS_FORK = """
import logging, multiprocessing, os, signal, threading
from plansite.workers import Pool, start_worker

forks = []
os.register_at_fork(before=lambda: forks.append(os.kill(os.getpid(), signal.SIGINT)))
try:
    with Pool(2, mp_context=multiprocessing.get_context("fork"), initializer=start_worker,
              initargs=(os.getpid(),)) as pool:
        pool.submit(int).result()
        print("not interrupted", flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {len(forks)} forks", flush=True)
logger = threading.Thread(target=logging.getLogger("plansite").debug, args=("logging still works",))
logger.start()
logger.join(10)
print("logging hangs" if logger.is_alive() else "logging works", flush=True)
os._exit(0)
"""


def test_ctrl_c_while_workers_fork_is_raised_after_they_started() -> None:
    """Ctrl-C that lands while a pool forks its workers (here: as each fork begins) is raised once
    the workers run. Python would raise it in logging's fork handlers, which lose it and keep
    logging's lock, so the next thread that logs (Pagefind's) waited for ever: CI saw that hang."""
    run = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_WORKERS_FORK], cwd=PROJECT, capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.stdout.splitlines() == ["interrupted after 2 forks", "logging works"], run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr


def test_ctrl_c_during_a_build_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while the new site is
    written: one line and status 130, or the build had finished; never a traceback, from the
    build or its workers; the next build leaves nothing behind."""
    project = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    assert build_cli(project, cache=cache).returncode == 0
    before = files(project / "site")
    edit(project, "（中斷）")
    env = os.environ | {"PLANSITE_CACHE": str(cache)}
    build = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--project", str(project),
                              "--no-downloads"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while build.poll() is None and not any(p.name.startswith("site.tmp-") for p in project.iterdir()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(build.pid, signal.SIGINT)
    _, errors = build.communicate(timeout=120)
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
    assert build.returncode in (0, 130), errors
    if build.returncode == 130:
        assert errors.splitlines()[-1] == "Interrupted; site/ was not changed.", errors
        assert files(project / "site") == before
    done = build_cli(project, cache=cache)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["content", "locales", "site", "site.yml",
                                                         "templates"]


# -- publish.py's parts on their own: fast, in this process, on real folders


def test_only_an_exact_regular_mark_file_marks_a_folder(tmp_path: Path) -> None:
    assert not marked(tmp_path, MARK, MARK_TEXT)
    (tmp_path / MARK).write_bytes(b"")
    assert not marked(tmp_path, MARK, MARK_TEXT)
    (tmp_path / MARK).write_bytes(MARK_TEXT + b"more")
    assert not marked(tmp_path, MARK, MARK_TEXT)
    (tmp_path / "real").write_bytes(MARK_TEXT)
    (tmp_path / MARK).unlink()
    (tmp_path / MARK).symlink_to(tmp_path / "real")
    assert not marked(tmp_path, MARK, MARK_TEXT)  # a link does not make a folder plansite's
    (tmp_path / MARK).unlink()
    (tmp_path / MARK).write_bytes(MARK_TEXT)
    assert marked(tmp_path, MARK, MARK_TEXT)


def test_an_atomic_write_is_whole_or_absent_and_a_failure_names_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    write_atomically(target, b"one", mode=0o640)  # a user's file keeps its permissions
    assert target.stat().st_mode & 0o777 == 0o640
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two" and sorted(os.listdir(tmp_path)) == ["entry"]
    with pytest.raises(FileNotFoundError) as caught:
        write_atomically(tmp_path / "missing" / "entry", b"x")
    assert caught.value.filename == str(tmp_path / "missing")
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError):  # os.replace refuses: the temporary file is gone again
        write_atomically(tmp_path / "folder", b"x")
    assert sorted(os.listdir(tmp_path)) == ["entry", "folder"]


def test_staging_publishes_whole_on_success_and_nothing_on_failure(tmp_path: Path) -> None:
    output = tmp_path / "site"
    with staging(output) as stage:
        assert (stage / UNFINISHED).exists() and not (stage / MARK).exists()  # marked complete last
        (stage / "index.html").write_text("first", encoding="utf-8")
    assert (output / "index.html").read_text(encoding="utf-8") == "first" and marked(output, MARK, MARK_TEXT)
    with pytest.raises(RuntimeError), staging(output) as stage:
        (stage / "index.html").write_text("half", encoding="utf-8")
        raise RuntimeError("the build failed")
    assert (output / "index.html").read_text(encoding="utf-8") == "first"
    with staging(output) as stage:
        (stage / "index.html").write_text("second", encoding="utf-8")
    assert (output / "index.html").read_text(encoding="utf-8") == "second"
    assert sorted(os.listdir(tmp_path)) == ["site"]  # no staging or old folder left beside it


def test_prune_keeps_what_is_used_and_what_a_running_build_writes(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    for name in ("used.pdf", "unused.pdf", "other.odt", f"half.pdf.tmp-{gone}", f"new.pdf.tmp-{os.getpid()}"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "unused-folder.pdf").mkdir()
    prune(tmp_path, (".pdf",), {"used.pdf"})
    assert sorted(os.listdir(tmp_path)) == ["new.pdf.tmp-" + str(os.getpid()), "other.odt", "used.pdf"]


def test_prepare_output_refuses_the_project_its_sources_and_foreign_folders(tmp_path: Path,
                                                                            monkeypatch) -> None:
    monkeypatch.delenv("PLANSITE_CACHE", raising=False)
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    refusals = {project: "is the project folder itself", tmp_path: "holds the project",
                project / "content" / "site": "is inside content/, which the build reads",
                project / ".cache" / "site": "overlaps the cache folder"}
    for output, message in refusals.items():
        with pytest.raises(MachineError) as caught:
            prepare_output(project, output)
        assert caught.value.message.startswith(message) and caught.value.hint
    foreign = project / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(MachineError, match="holds files plansite did not write"):
        prepare_output(project, foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert prepare_output(project, project / "site") == (project / "site").resolve()
    assert not (project / "site").exists()  # checked, not made: the build makes it whole
    preview = prepare_output(project, project / "preview", preview=True)
    assert marked(preview, MARK, MARK_TEXT)


def test_a_huge_stray_file_in_the_project_is_never_read_and_its_change_still_noticed(
        tmp_path: Path, monkeypatch) -> None:
    """A 20 GB video left in content/ was read whole by every build, one with nothing to do too
    (a minute). A file bigger than any input is known by its identity, size and times."""
    import hashlib

    from plansite import publish

    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    video = project / "content" / "video.mp4"
    with video.open("wb") as file:
        file.truncate(publish.READ_UP_TO + 1)  # sparse: no disk is used
    read: list[int] = []
    digest_of = hashlib.file_digest

    def file_digest(file, name):
        read.append(os.fstat(file.fileno()).st_size)
        return digest_of(file, name)

    monkeypatch.setattr(publish.hashlib, "file_digest", file_digest)
    before = publish.digest_project(project, project / "site")
    assert read and max(read) <= publish.READ_UP_TO
    assert publish.digest_project(project, project / "site") == before
    with video.open("r+b") as file:
        file.seek(1000)
        file.write(b"edited")
    assert publish.digest_project(project, project / "site")[0] != before[0]
