"""Interface strings through gettext, read straight from the catalogs in ``locales/``.

Templates mark every string with ``_()`` (English message ids). The .po file is read with
Babel at build time, so there is no compiled .mo file to forget to rebuild.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

from .errors import Problem
from .site_paths import LANGUAGES

LOCALES = {lang.code: lang.locale for lang in LANGUAGES}
"""Page language → catalog folder under ``locales/``."""


class Catalog:
    """gettext/ngettext for one language; a missing translation falls back to the English id."""

    def __init__(self, po: bytes | None):
        self.messages: dict[str, str | tuple[str, ...]] = {}
        found = parsed(po) if po is not None else []
        if not isinstance(found, PoFileError):  # refused before any page is made (catalog_problems)
            for message in found:
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
def parsed(data: bytes) -> list | PoFileError:
    """A catalog's entries, or why a line of it is no entry: read once per content, for the
    pages and for :func:`catalog_problems` alike."""
    try:
        return list(read_po(io.BytesIO(data), abort_invalid=True))
    except PoFileError as error:
        return error


@lru_cache(maxsize=8)
def read_catalog(data: bytes) -> Catalog:
    """A catalog parsed once per content (a build asks for it once per plan); keyed by the
    bytes themselves, so an edited catalog is always read again (the preview)."""
    return Catalog(data)


PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                         r"(?P<kind>[diouxXeEfFgGcrsa%])")
"""A conversion of Python's % formatting (%s, %(name)s, %% …), which fills in every interface
string: the templates' _() and ngettext, and the parts of pages made in Python."""


def catalog_problems(project: Path) -> list[Problem]:
    """Each catalog's lines that a build could not use, at their line: a line the .po format
    does not allow, and a translation that cannot be filled in as its English is: a lone %
    (which must be written %%), a %s that names no value, or a value no English string names
    (a misspelt %(year)s). Each stopped a build with a traceback, or put a Python dictionary
    on the page. (A page may give a string more values than its English names: 'ROC
    %(year)s' is given the year AD too, which the English translation shows.)"""
    problems = []
    for lang in LOCALES:
        path = catalog_path(project, lang)
        if not path.is_file():
            continue
        shown = path.relative_to(project).as_posix()
        messages = parsed(path.read_bytes())
        if isinstance(messages, PoFileError):
            error = messages
            why = re.sub(r" on \d+$", "", str(error))  # Babel counts lines from 0
            problems.append(Problem(shown, error.lineno + 1, f"the catalog cannot be read: {why}",
                                    'write each entry as msgid "…" then msgstr "…", as the others are'))
            continue
        known = {match["name"] for message in messages for text in english_of(message)
                 for match in PLACEHOLDER.finditer(text) if match["name"] is not None} | {"num"}
        for message in messages:
            if not message.id or not message.string or message.fuzzy:
                continue
            for translation in message.string if isinstance(message.string, tuple) else (message.string,):
                why = unfillable(translation, known)
                if why:
                    problems.append(Problem(
                        shown, message.lineno,
                        f"the translation of '{english_of(message)[0]}' cannot be filled in: {why}",
                        "write %% for a percent sign, and only the placeholders the English has, "
                        "such as %(year)s"))
                    break
    return problems


def english_of(message) -> tuple[str, ...]:
    """A catalog entry's English: its message id, and its plural form if it has one."""
    return message.id if isinstance(message.id, tuple) else (message.id,)


def unfillable(translation: str, known: set[str]) -> str:
    """Why Python's % cannot fill in ``translation`` as the pages do, or ''."""
    for match in PLACEHOLDER.finditer(translation):
        if match["kind"] != "%" and match["name"] is None:
            return f"'{match[0]}' names no value"
        if match["name"] is not None and match["name"] not in known:
            return f"no English string has '{match[0]}'"
    try:
        translation % dict.fromkeys(known, 1)  # the check is whether it raises
    except (ValueError, TypeError, KeyError) as error:
        return f"a lone '%' ({error})"
    return ""
