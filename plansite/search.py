"""Search stage: a Pagefind index of the built pages, one per language.

The search page (templates/assets/search.js) looks Chinese words up character by character
and keeps the pages that contain each word as typed, because Pagefind's build-time and
browser-side word splitting disagree. What Pagefind cannot know is added to the text it
indexes, never to the published pages: 臺 and 台 are one character to a reader, and a glossary
term should find a page written with the term's other forms (國發會 and 國家發展委員會) or its
other-language rendering (線上申辦 and "online application"). Only pages whose ``<main>``
carries ``data-pagefind-body`` are indexed: the plans and the site's own statements, not the
views that repeat the plans' text.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import html
import itertools
import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from pagefind_bin_extended import get_executable

from . import model as m
from .cache import Store, digest, fingerprint, write_atomically
from .errors import ContentError, Problem
from .processes import tied
from .site_paths import EN, SEARCH_BUNDLE, ZH, split

BUNDLE = SEARCH_BUNDLE.rstrip("/")
"""The folder in site/ that holds the index and Pagefind's scripts."""
ENTRY = "pagefind-entry.json"
"""The file of a bundle that lists its languages."""
SHARDS = "shards.json"
"""The file of the main bundle that lists the other shards' bundles."""
MANIFEST = "plansite-files.json"
"""The list of a part's index files and their sizes, kept with it in the cache, never published."""
MARKER = "data-pagefind-body"
FOLDED = str.maketrans("臺台", "台臺")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
HINTS = "⁂"
"""Starts the hints in the indexed text, so the search page never quotes them."""


def searchable(page: bytes) -> bool:
    """True for a page (its UTF-8 bytes) that belongs in the index."""
    return MARKER.encode() in page


def page_text(page: str) -> str:
    """The readable text of a page's main content (our own markup, so tags are simple)."""
    start, end = page.find("<main"), page.rfind("</main>")
    return html.unescape(re.sub(r"<[^>]+>", " ", page[start:end]))


def hints(text: str, english: bool, glossary: tuple[m.Term, ...]) -> list[str]:
    """The words a page should also be found by.

    - Every Chinese character of the page on its own, in both spellings of 臺/台: Pagefind
      finds a word only from its start, so 口 inside its word 窗口 is found only this way;
      the search page looks Chinese words up by their characters, then checks the text.
    - The other forms of every glossary term the page uses, Chinese and English.
    """
    words: set[str] = set()
    if not english:
        words.update(char for char in set(text) if HAN.match(char))  # each once: not a list of them all
        words.update(char.translate(FOLDED) for char in {"臺", "台"} & words)
    lowered = text.lower()
    for term in glossary:
        if english and term.en.lower() in lowered:
            words.update(term.zh)
        elif not english and any(form in text for form in term.zh):
            words.update((*term.zh, term.en))
    return sorted(words)


def with_hints(page: str, glossary: tuple[m.Term, ...]) -> str:
    """The page as the indexer reads it: the hints appended to the main content."""
    english = f'<html lang="{EN.code}"' in page
    extra = hints(page_text(page), english, glossary)
    if not extra:
        return page
    end = page.rfind("</main>")
    return page[:end] + f"<p>{HINTS} {html.escape(' '.join(extra))}</p>" + page[end:]


FILTER_UNSAFE = re.compile(r'[%"\\&\s]')
"""What an agency's name may not give Pagefind as a filter value: Pagefind 1.5 finds nothing
for a value holding a double quote or a backslash (its search passes the chosen filters to its
WebAssembly as JSON, and the escaped characters never match the index), nor for one with two
spaces in a row, and it decodes character references in the value once more (the name
``A&amp;B`` would be ``A&B``); and ``%`` itself, which encodes them."""


def filter_value(text: str) -> str:
    """``text`` as a page gives it to Pagefind as a filter value and the search page sends it
    back: an agency's name with FILTER_UNSAFE percent-encoded (``甲%22局``), so that two names
    never give one value."""
    return FILTER_UNSAFE.sub(lambda found: quote(found[0], safe=""), text)


def filter_choices(editions: tuple[m.Edition, ...] | list[m.Edition], english: bool) -> dict[str, list]:
    """What the search page of a language offers to narrow the results to: every agency (its
    filter value and its name) and year of a plan, and every language the pages of that site
    are written in (an English page of an untranslated plan is in Chinese). The values are
    those the pages give Pagefind as filters (templates/plan.html, base.html), so a choice
    matches its pages exactly."""
    plans = [(edition.en or edition.zh) if english else edition.zh for edition in editions]
    own = EN if english else ZH
    return {"agency": [(filter_value(name), name)
                       for name in sorted({plan.agency.en if english else plan.agency.zh for plan in plans})],
            "year": sorted({plan.year for plan in plans if plan.year}, reverse=True)
                    + (["standing"] if any(plan.standing for plan in plans) else []),
            "language": sorted({plan.lang for plan in plans} | {own.code},
                               key=lambda lang: (lang != own.code, lang))}


PLANS_PER_SHARD = 250
"""Pagefind holds a whole index in memory while it builds it (1.75 GB for 1,000 plans in two
languages), so big sites are indexed in shards of about this many plans (the Chinese half
of one takes 0.45 GB and 5 s to index), and editing one plan re-indexes its shard. Readers
pay for every shard: the search page merges them all before its first query, and on a phone
(Lighthouse's mobile throttling) the first search of a 1,000-plan site took 16 s with twenty
shards of 50 plans, 7 s with four of 250, and 6 s with one index (bench/search.py;
docs/performance.md)."""


def index_site(site: Path, glossary: tuple[m.Term, ...], plans_per_shard: int = PLANS_PER_SHARD,
               cache: Path | None = None, written: dict[str, str | None] | None = None) -> int:
    """Write the search bundle into ``site/pagefind`` (the site's own pages and the first
    shard of plans, with Pagefind's scripts) and ``site/pagefind/shards/N/``, listed in
    ``site/pagefind/shards.json``; return how many pages it indexes. Pagefind's command line
    reads a copy of the pages with the hints added, made one page at a time (its Python API
    answers one page per tenth of a second, far too slow for thousands of pages).

    Each language of a shard is indexed by a Pagefind run of its own, two at a time: Pagefind
    keeps every language's files apart (``zh-hant-tw_…``, ``en_…``), so a shard's bundle is
    the union of its languages' outputs with their entries merged, as one run over both would
    write it. Editing a plan re-indexes its shard's two languages side by side, or one when
    only one page changed. With a ``cache`` folder, a language of a shard whose pages are byte
    for byte those of an earlier build is copied from there instead of indexed again, a page is
    read only when it is not the file an earlier build found (:func:`page_digests`), and each
    shard is put together as soon as its languages are: the cached ones while Pagefind runs.
    ``written``: the :func:`page_digest` of each page the build wrote into ``site`` as it wrote
    it, so that those pages are not read again."""
    store = Store(cache) if cache is not None else None
    pages = {page: content for page, content in page_digests(site, store, written) if content is not None}
    plan_ids = sorted({plan_of(Path(p)) for p in pages} - {None})
    shards = max(1, -(-len(plan_ids) // plans_per_shard))
    parts: dict[tuple[int, str], list[Path]] = {}  # (shard, language) → its pages
    keys: dict = {}  # part → hash of its pages as published, the glossary, plansite's code and tools
    indexer = fingerprint(repr(glossary))
    for page, content in sorted(pages.items()):
        relative = Path(page)
        plan = plan_of(relative)
        part = (shard_of(plan, shards) if plan else 0, split(page)[0].tag)
        parts.setdefault(part, []).append(relative)
        key = keys.setdefault(part, hashlib.sha256(indexer.encode()))
        key.update(f"{page}\0{content}\0".encode())
    digests = {part: keys[part].hexdigest() for part in parts}
    filled = sorted({shard for shard, _ in parts})
    stale: set[str] = set()  # pages found not to be the ones their hashes were taken from

    def indexed(part: tuple[int, str], scratch: Path) -> Path:
        """The index of a part: kept in the store (made in a scratch folder of its own, moved
        in whole), or without one made in ``scratch``."""
        if store is None:
            return index_part(site, parts[part], Path(scratch, digests[part]), glossary, scratch)
        try:
            return store.get_or_make_folder(digests[part], lambda work: index_part(
                site, parts[part], work, glossary, store.folder, pages), whole=readable)
        except PageChanged as changed:  # indexed as it is, kept nowhere; read again by the next build
            stale.add(changed.args[0])
            return index_part(site, parts[part], Path(scratch, f"as-is-{digests[part]}"), glossary, scratch)

    with scratch_folder(store) as scratch, ThreadPoolExecutor(2) as pool:
        jobs = {part: pool.submit(indexed, part, scratch) for part in sorted(parts)}
        # each shard is put together as soon as its parts are: after one plan changed, the shards
        # taken from the cache are copied while Pagefind indexes that plan's
        waiting = {shard: [part for part in sorted(parts) if part[0] == shard] for shard in filled}
        try:
            while waiting:
                ready = [shard for shard, mine in waiting.items() if all(jobs[part].done() for part in mine)]
                if not ready:
                    wait([job for job in jobs.values() if not job.done()], return_when=FIRST_COMPLETED)
                for shard in ready:  # the first shard becomes the main bundle, with Pagefind's scripts
                    mine = waiting.pop(shard)
                    bundle = site / BUNDLE / ("" if shard == filled[0] else f"shards/{shard}/")
                    outputs = [jobs[part].result() for part in mine]
                    try:
                        assemble(outputs, bundle)
                    except FileNotFoundError:  # a cached index another build removed meanwhile: index again
                        assemble([index_part(site, parts[part], Path(scratch, f"again-{digests[part]}"),
                                             glossary, scratch) for part in mine], bundle)
        except BaseException:  # a failure (a full disk) or Ctrl-C: no Pagefind run starts after it
            for job in jobs.values():
                job.cancel()
            raise
    if store is not None:
        forget_pages(site, store, stale)
        store.prune()
    merged = [f"shards/{shard}/" for shard in filled[1:]]
    write_atomically(site / BUNDLE / SHARDS, json.dumps(merged).encode())
    for folder in (site / BUNDLE / "shards").glob("*"):  # a shard no plan is in any more (the preview)
        if f"shards/{folder.name}/" not in merged:
            shutil.rmtree(folder, ignore_errors=True)
    return sum(len(group) for group in parts.values())


def pages_key() -> str:
    """The search cache's entry of what the last builds found of each page
    (:func:`page_digests`): named by a hash, as every entry is, of plansite's code and tools."""
    return digest(fingerprint(), "pages")


def page_digest(page: bytes) -> str | None:
    """A hash of a page's bytes, or None when it is not indexed (:func:`searchable`)."""
    return hashlib.sha256(page).hexdigest() if searchable(page) else None


def page_digests(site: Path, store: Store | None, written: dict[str, str | None] | None = None
                 ) -> Iterator[tuple[str, str | None]]:
    """Each page of the site (:func:`html_pages`) with its :func:`page_digest`. A page found
    before (in the ``store``) as the same file, of the same size and time, is not read again:
    an unchanged page of a rebuild is the published page itself (a link to it), and a page
    written since is a new file. At 1,000 plans, reading 1.3 GB of pages to hash them was a
    tenth of a one-plan rebuild. Sizes and times are what the build already trusts to know the
    published site is as it left it (``publish.survey``). Nor is a page in ``written`` read:
    the build hashed it as it wrote it (reading the 800 MB of a cold build's 6,500 pages again
    took half a second before Pagefind could start)."""
    written = written or {}
    known: dict = {}
    if store is not None:
        with contextlib.suppress(Exception):  # none, damaged, or of another shape: every page is read
            known = {identity: entry for identity, entry in pickle.loads(store.read(pages_key())).items()
                     if isinstance(entry, tuple) and len(entry) == 2}
    found = {}
    for page in html_pages(site):
        path = os.path.join(site, page)
        info = os.stat(path)
        identity, state = (info.st_dev, info.st_ino), (info.st_size, info.st_mtime_ns)
        before = known.get(identity)
        if page in written:
            before = (state, written[page])
        elif before is None or before[0] != state:
            with open(path, "rb") as file:  # as bytes: decoding a thousand plans' pages took 0.3 s
                data = file.read()
            before = (state, page_digest(data))
        found[identity] = before
        yield page, before[1]
    if store is not None:  # with as many pages of another site (the preview's, built in turn), no more
        others = itertools.islice((item for item in known.items() if item[0] not in found), len(found))
        store.write(pages_key(), pickle.dumps(found | dict(others), pickle.HIGHEST_PROTOCOL))


def forget_pages(site: Path, store: Store, pages: set[str]) -> None:
    """Drop what :func:`page_digests` keeps of these pages, so that the next build reads them."""
    if not pages:
        return
    with contextlib.suppress(Exception):  # none, or damaged: nothing to forget
        known = pickle.loads(store.read(pages_key()))
        for page in pages:
            with contextlib.suppress(OSError):
                info = os.stat(site / page)
                known.pop((info.st_dev, info.st_ino), None)
        store.write(pages_key(), pickle.dumps(known, pickle.HIGHEST_PROTOCOL))


@contextmanager
def scratch_folder(store: Store | None) -> Iterator[Path]:
    """A folder for the copies of the pages Pagefind reads and for its output, removed after:
    in the cache's store when there is one (a killed build's is removed by the next build's
    pruning), else a temporary one."""
    if store is not None:
        with store.scratch() as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory(prefix="plansite-search-") as scratch:
        yield Path(scratch)


class PageChanged(Exception):
    """A page is not the one its hash was taken from (see :func:`index_part`)."""


def index_part(site: Path, pages: list[Path], scratch: Path, glossary: tuple[m.Term, ...], disk: Path,
               digests: dict[str, str | None] | None = None) -> Path:
    """Pagefind's output for these pages (one language of a shard), made in ``scratch`` on
    ``disk`` (the folder a full disk's error names: the cache's, never the site's), with the
    list of its files and their sizes (:data:`MANIFEST`, for :func:`readable`). With the
    ``digests`` the index is to be kept under, each page is checked against its own: a page
    edited by hand with its size and time put back was taken for the page it had been, and
    its index kept in the cache under that page's hash, for every later build to copy."""
    for relative in pages:
        target = scratch / "pages" / relative
        try:
            data = (site / relative).read_bytes()
            if digests is not None and page_digest(data) != digests.get(relative.as_posix()):
                raise PageChanged(relative.as_posix())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(with_hints(data.decode("utf-8"), glossary), encoding="utf-8")
        except OSError as error:
            if error.filename is None:  # a full disk
                error.filename = str(disk)
            raise
    output = scratch / "index"
    run_pagefind(scratch / "pages", output)
    check_index(output, disk)
    settle_filters(output)
    write_atomically(output / MANIFEST, json.dumps(index_files(output), sort_keys=True).encode())
    return output


class Tagged(tuple):
    """A CBOR item this module keeps as read: (major type, additional info, raw value)."""


def cbor_read(data: bytes, at: int = 0) -> tuple[object, int]:
    """One CBOR item of ``data`` from ``at`` (the kinds Pagefind's files hold: numbers,
    strings, arrays, maps), and where the next starts."""
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        value = info
    elif info <= 27:
        size = 1 << (info - 24)
        value = int.from_bytes(data[at:at + size], "big")
        at += size
    else:
        raise ValueError(f"CBOR item of indefinite length at {at - 1}")
    if major in (0, 1):
        return Tagged((major, info, value)), at
    if major in (2, 3):
        raw = data[at:at + value]
        return (raw.decode("utf-8") if major == 3 else raw), at + value
    if major in (4, 5):
        items = []
        for _ in range(value * (2 if major == 5 else 1)):
            item, at = cbor_read(data, at)
            items.append(item)
        return (items if major == 4 else ("map", items)), at
    return Tagged((major, info, value)), at


def cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    size = next(n for n in (1, 2, 4, 8) if value < 1 << (8 * n))
    return bytes([major << 5 | (24 + size.bit_length() - 1)]) + value.to_bytes(size, "big")


def cbor_write(item: object) -> bytes:
    """The bytes of an item cbor_read gave (shortest heads, as Pagefind writes them)."""
    if isinstance(item, Tagged):
        major, info, value = item
        if major in (0, 1) or info < 24:
            return cbor_head(major, value)
        size = 1 << (info - 24)
        return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    if isinstance(item, str):
        raw = item.encode("utf-8")
        return cbor_head(3, len(raw)) + raw
    if isinstance(item, bytes):
        return cbor_head(2, len(item)) + item
    if isinstance(item, tuple) and item[0] == "map":
        return cbor_head(5, len(item[1]) // 2) + b"".join(cbor_write(i) for i in item[1])
    return cbor_head(4, len(item)) + b"".join(cbor_write(i) for i in item)


SIGNATURE = b"pagefind_dcd"


def unpack(path: Path) -> object:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path.name} is not a Pagefind file")
    item, end = cbor_read(data, len(SIGNATURE))
    if end != len(data) or SIGNATURE + cbor_write(item) != data:
        raise ValueError(f"{path.name} does not read back as written")
    return item


def pack(item: object) -> bytes:
    return gzip.compress(SIGNATURE + cbor_write(item), compresslevel=9, mtime=0)


def settle_filters(output: Path) -> None:
    """Pagefind (1.5.2) writes a filter's values in a random order (a Rust hash map), so two
    runs over the same pages give different filter files, named by their content, and a
    different metadata file naming them: builds would no longer be byte for byte the same.
    Each filter file's values are sorted here, the files named by a hash of their new content,
    and the metadata file and the entry rewritten to match. Pagefind's own checks are kept:
    a file that does not read back exactly as Pagefind wrote it is left alone (the index still
    works, only not reproducibly)."""
    entry_path = output / ENTRY
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for lang, language in entry["languages"].items():
        meta_path = output / f"pagefind.{language['hash']}.pf_meta"
        try:
            meta = unpack(meta_path)
            filters = meta[3]  # [version, pages, index chunks, filters, sorts, meta fields]
            renamed = []
            for pair in filters:
                old = pair[1]
                chunk = unpack(output / "filter" / f"{old}.pf_filter")
                chunk[1].sort(key=lambda value: value[0])
                data = pack(chunk)
                new = f"{lang}_{hashlib.sha256(data).hexdigest()[:7]}"
                renamed.append((old, new, data))
                pair[1] = new
        except (OSError, ValueError, IndexError, TypeError, KeyError, AttributeError):
            continue
        filters.sort(key=lambda pair: pair[0])
        for old, new, data in renamed:
            (output / "filter" / f"{old}.pf_filter").unlink()
            (output / "filter" / f"{new}.pf_filter").write_bytes(data)
        data = pack(meta)
        language["hash"] = f"{lang}_{hashlib.sha256(data).hexdigest()[:10]}"
        meta_path.unlink()
        (output / f"pagefind.{language['hash']}.pf_meta").write_bytes(data)
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


ROOM = 64 * 1024
"""Bytes a disk must still have free after Pagefind wrote an index there (see check_index)."""


def check_index(output: Path, disk: Path) -> None:
    """Pagefind (1.5.2) reports no error when it cannot write: on a full disk it exits as if
    all went well, leaving empty or cut-short files, which would be published and cached. So
    an index is trusted only when the disk it was written to (``disk``, named in the error)
    still has room, no file of it is empty, and its entry file reads."""
    stats = os.statvfs(output)
    free = (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize
    if free < ROOM:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(disk))
    if not readable(output, listed=False):
        raise ContentError([Problem("pagefind", 1, f"Pagefind wrote an unreadable index in {output}",
                                    "check the disk, then build again; if it happens again, " + REINSTALL)])


def index_files(index: Path) -> dict[str, int]:
    """An index's files (but its manifest) and their sizes, by path."""
    return {path.relative_to(index).as_posix(): path.stat().st_size
            for path in index.rglob("*") if path.is_file() and path.name != MANIFEST}


def readable(index: Path, listed: bool = True) -> bool:
    """True for a Pagefind output whose entry file reads, with no empty file, and (``listed``:
    one kept in the cache) holding every file its :data:`MANIFEST` lists, of the size listed:
    a file of a cached index removed since was published as missing, and a result failed to
    load."""
    try:
        json.loads((index / ENTRY).read_text(encoding="utf-8"))
        found = index_files(index)
        if listed and json.loads((index / MANIFEST).read_text(encoding="utf-8")) != found:
            return False
        return all(size > 0 for size in found.values())
    except (OSError, ValueError):
        return False


def assemble(outputs: list[Path], bundle: Path) -> None:
    """One bundle from Pagefind's outputs for the languages of a shard: their files side by
    side (the scripts are the same in each), and one entry listing every language. Files are
    copied, never linked: a hand edit of the published site must not reach the cache. In the
    live site of the preview, each file is replaced whole (a page being served never gets half
    of one), and the files of the index before are removed once the new entry is in place."""
    entry: dict = {}
    wanted = {ENTRY}
    for output in outputs:
        for source in output.rglob("*"):
            relative = source.relative_to(output).as_posix()
            if relative not in (ENTRY, MANIFEST) and source.is_file():
                (bundle / relative).parent.mkdir(parents=True, exist_ok=True)
                write_atomically(bundle / relative, source.read_bytes())
                wanted.add(relative)
        part = json.loads((output / ENTRY).read_text(encoding="utf-8"))
        languages = {**entry.get("languages", {}), **part["languages"]}
        entry = {**part, "languages": dict(sorted(languages.items()))}
    write_atomically(bundle / ENTRY, json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode())
    for folder, subfolders, files in os.walk(bundle):
        relative = os.path.relpath(folder, bundle).replace(os.sep, "/")
        if relative == ".":
            subfolders[:] = [name for name in subfolders if name != "shards"]  # the other shards' bundles
            files = [name for name in files if name != SHARDS]
        for name in files:
            if (name if relative == "." else f"{relative}/{name}") not in wanted:
                os.unlink(os.path.join(folder, name))


def html_pages(site: Path) -> Iterator[str]:
    """The site's pages as paths relative to it ('/'-separated), but Pagefind's own."""
    todo = [("", str(site))]  # (the folder's path in the site, with its '/', its path on disk)
    while todo:
        prefix, folder = todo.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir():  # a link to a folder is not followed (os.walk's way)
                    if not entry.is_symlink() and (prefix or entry.name != BUNDLE):
                        todo.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.name.endswith(".html"):
                    yield prefix + entry.name


def plan_of(relative: Path) -> str | None:
    """The plan a page belongs to ('plans/ID/index.html', 'en/plans/ID/index.html'), if any."""
    parts = Path(split(relative.as_posix())[1]).parts
    return parts[1] if len(parts) == 3 and parts[0] == "plans" else None


def shard_of(plan_id: str, shards: int) -> int:
    """A plan's shard: fixed by its id, so adding a plan moves no other plan."""
    return int(hashlib.sha256(plan_id.encode()).hexdigest(), 16) % shards


def run_pagefind(pages: Path, bundle: Path) -> None:
    """Pagefind over ``pages``; it dies with the build (:func:`processes.tied`)."""
    try:
        command = tied([str(get_executable()), "--site", str(pages), "--output-path", str(bundle),
                        "--silent"])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise ContentError([Problem("pagefind", 1, f"Pagefind cannot run: {error}", REINSTALL)]) from None
    if done.returncode:
        output = (done.stderr or done.stdout).strip()
        raise ContentError([Problem("pagefind", 1, f"Pagefind failed ({done.returncode}): {output}",
                                    REINSTALL)])


REINSTALL = "run ./setup, which installs pagefind[extended] from requirements.txt"
