"""Interface strings through gettext, read straight from the catalogs in ``locales/``.

Templates mark every string with ``_()`` (English message ids). The .po file is read with
Babel at build time, so there is no compiled .mo file to forget to rebuild.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from .site_paths import LANGUAGES

LOCALES = {lang.code: lang.locale for lang in LANGUAGES}
"""Page language → catalog folder under ``locales/``."""


class Catalog:
    """gettext/ngettext for one language; a missing translation falls back to the English id."""

    def __init__(self, po: bytes | None):
        self.messages: dict[str, str | tuple[str, ...]] = {}
        if po is not None:
            for message in read_po(io.BytesIO(po)):
                if message.id and message.string and not message.fuzzy:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    self.messages[key] = message.string

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        return found if isinstance(found, str) else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        found = self.messages.get(singular)
        if isinstance(found, tuple):
            return found[0] if len(found) == 1 else found[0 if count == 1 else 1]
        return singular if count == 1 else plural


def catalog_path(project: Path, lang: str) -> Path:
    """The one file a language's interface strings are read from."""
    return project / "locales" / LOCALES.get(lang, "") / "LC_MESSAGES" / "messages.po"


def catalog(project: Path, lang: str) -> Catalog:
    path = catalog_path(project, lang)
    if lang not in LOCALES or not path.is_file():
        return Catalog(None)
    return read_catalog(path.read_bytes())


def catalogs_read(project: Path) -> tuple[tuple[str, bytes | None], ...]:
    """What the catalogs hold as builds read them, for cache keys: each language's catalog
    (None when it is missing), by language. Not the .po files found in locales/: a catalog
    moved aside (still found, no longer read), or one behind a linked folder (read, but
    not found by a walk), kept English plans completed with strings no longer in use."""
    read = []
    for lang in LOCALES:
        path = catalog_path(project, lang)
        read.append((lang, path.read_bytes() if path.is_file() else None))
    return tuple(read)


@lru_cache(maxsize=8)
def read_catalog(data: bytes) -> Catalog:
    """A catalog parsed once per content (a build asks for it once per plan); keyed by the
    bytes themselves, so an edited catalog is always read again (the preview)."""
    return Catalog(data)
