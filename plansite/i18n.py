"""Interface strings through gettext, read straight from the catalogs in ``locales/``.

Templates mark every string with ``_()`` (English message ids). The .po file is read with
Babel at build time, so there is no compiled .mo file to forget to rebuild.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = {"zh-Hant-TW": "zh_Hant_TW", "en": "en"}
"""Page language → catalog folder under ``locales/``."""


class Catalog:
    """gettext/ngettext for one language; a missing translation falls back to the English id."""

    def __init__(self, path: Path | None):
        self.messages: dict[str, str | tuple[str, ...]] = {}
        if path is not None:
            with path.open("rb") as handle:
                for message in read_po(handle):
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


def catalog(project: Path, lang: str) -> Catalog:
    locale = LOCALES.get(lang)
    path = project / "locales" / locale / "LC_MESSAGES" / "messages.po" if locale else None
    return Catalog(path if path and path.is_file() else None)
