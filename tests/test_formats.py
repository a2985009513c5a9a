"""The registry of download formats: a format added by one entry is made for every plan, linked
from its pages, listed in the catalogue, and kept and pruned by the downloads cache like the ODT
and the PDF. This is the walk-through of docs/architecture.md, "Adding an output format": this
module is the new format's module, ``EPUB`` its registry entry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from lxml import html

from plansite import formats
from plansite import model as m
from plansite.config import SiteConfig
from plansite.render_html import file_size
from plansite.site import build

from .conftest import copy_project

EPUB = formats.Format(
    kind="epub",
    media_type="application/epub+zip",
    label="Download the e-book (%(language)s, %(size)s)",  # not in the catalogs: shown as written
    module=__name__,
)


def source(plan: m.Plan, project: Path, config: SiteConfig, stamp: datetime) -> tuple[tuple, tuple]:
    """What a plan's e-book is made from (what ``render`` takes), and what its key covers."""
    return (plan.id, plan.lang), (plan.id, plan.lang)


def render(plan_id: str, lang: str) -> bytes:
    """A stand-in for an e-book: bytes that say which plan and language they were made for."""
    return f"an e-book of {plan_id} in {lang}\n".encode()


def download_links(page: Path) -> list[tuple[str, str | None, str | None, str | None]]:
    """(file name, MIME type, text, title) of every download link on a page."""
    tree = html.fromstring(page.read_bytes())
    return [(a.get("href").rsplit("/", 1)[1], a.get("type"), a.text, a.get("title"))
            for a in tree.iter("a") if "/downloads/" in a.get("href", "")]


def test_a_format_added_by_one_registry_entry_is_made_linked_listed_and_cached(tmp_path: Path,
                                                                               monkeypatch) -> None:
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))  # its own: the test counts its files
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, EPUB))
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    site = project / "site"
    build(project, site)

    catalogue = json.loads((site / "data" / "plans.json").read_text(encoding="utf-8"))
    languages = (("zh-Hant-TW", "zh-Hant", "", "中文"), ("en", "en", "en/", "English"))
    for lang, tag, prefix, language in languages:
        data = (site / "downloads" / f"mof-2017.{tag}.epub").read_bytes()
        assert data == render("mof-2017", lang)
        links = download_links(site / prefix / "plans" / "mof-2017" / "index.html")
        assert [(name, kind) for name, kind, _, _ in links] == [
            (f"mof-2017.{tag}.odt", "application/vnd.oasis.opendocument.text"),
            (f"mof-2017.{tag}.pdf", "application/pdf"),
            (f"mof-2017.{tag}.epub", "application/epub+zip")]
        text = EPUB.label % {"language": language, "size": file_size(len(data), lang)}
        assert links[2][2:] == (text, text)
        urls = catalogue["plans"][0]["urls"][tag]
        assert list(urls) == ["page", "odt", "pdf", "epub", "json", "csv"]
        assert urls["epub"] == f"https://plans.example.org/downloads/mof-2017.{tag}.epub"

    cache = tmp_path / "cache" / "downloads"

    def cached() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in cache.iterdir() if p.is_file()}

    kept = cached()
    assert sorted(name.rsplit(".", 1)[1] for name in kept) == ["epub", "epub", "odt", "odt", "pdf", "pdf"]
    assert {(cache / name).read_bytes() for name in kept if name.endswith(".epub")} == {
        render("mof-2017", "zh-Hant-TW"), render("mof-2017", "en")}
    assert len(list((cache / "inputs").iterdir())) == 6
    build(project, tmp_path / "another-site")
    assert cached() == kept, "every file, the e-books too, comes from the cache: none is made again"

    monkeypatch.setattr(formats, "FORMATS", formats.FORMATS[:-1])  # the format is taken out again
    build(project, site)  # the stamp covers the registry: this is no "nothing to do"
    assert sorted(name.rsplit(".", 1)[1] for name in cached()) == ["odt", "odt", "pdf", "pdf"]
    assert len(list((cache / "inputs").iterdir())) == 4
    assert sorted(p.suffix for p in (site / "downloads").iterdir()) == [".odt", ".odt", ".pdf", ".pdf"]
    for prefix in ("", "en/"):
        links = download_links(site / prefix / "plans" / "mof-2017" / "index.html")
        assert [name.rsplit(".", 1)[1] for name, _, _, _ in links] == ["odt", "pdf"]
    catalogue = json.loads((site / "data" / "plans.json").read_text(encoding="utf-8"))
    assert "epub" not in catalogue["plans"][0]["urls"]["en"]
