"""Interface strings through gettext, read straight from the catalogs in ``locales/``.

Templates mark every string with ``_()`` (English message ids). The .po file is read with
Babel at build time, so there is no compiled .mo file to forget to rebuild.
"""

from __future__ import annotations

import io
import itertools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po, unescape
from markupsafe import Markup, escape

from .errors import ContentError, Problem
from .site_paths import EN, LANGUAGES

LOCALES = {lang.code: lang.locale for lang in LANGUAGES}
"""Page language → catalog folder under ``locales/``."""


class Catalog:
    """gettext/ngettext for one language; a missing translation falls back to the English id.
    :meth:`text` and :meth:`markup` fill a string in as the templates' ``_()`` does, and turn a
    translation that cannot be filled in into an error at its catalog line."""

    def __init__(self, po: bytes | None, shown: str = ""):
        self.messages: dict[str, str | tuple[str, ...]] = {}
        self.lines: dict[str, list[list[tuple[int, str]]]] = {}
        """Where each translation stands: per form, its strings' (line, text) (:func:`string_lines`)."""
        self.shown = shown
        """The catalog's path as a user types it, for problems."""
        found = parsed(po) if po is not None else []
        if isinstance(found, list):  # else refused before any page is made (catalog_problems)
            for message in found:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                # an entry with a context is another string; one with an empty form is untranslated
                if message.id and all(strings) and not message.fuzzy and not message.context:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    self.messages[key] = message.string
                    self.lines[key] = message.string_lines

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        return found if isinstance(found, str) else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        found = self.messages.get(singular)
        if isinstance(found, tuple):
            return found[0] if len(found) == 1 else found[0 if count == 1 else 1]
        return singular if count == 1 else plural

    def fill(self, message: str, translation: str | Markup, values: dict, written: str,
             english: str | Markup, plural: str = ""):
        """``translation % values`` (``written``: the translation as the catalog writes it, not
        escaped, its count not put in); if it cannot be filled in, an error at its catalog line:
        raised at once, or, inside :func:`fill_faults`, kept and ``english`` filled in instead,
        so the task goes on to find the others."""
        try:
            return translation % values
        except (KeyError, ValueError, TypeError) as error:
            forms = self.lines.get(message, [])
            form = next((f for f in forms if "".join(text for _, text in f) == written), [])
            if isinstance(error, KeyError):
                why = f"this page gives no value '{error.args[0]}'"
                line = line_at(form, written.find(f"%({error.args[0]})"))
            else:
                why = "a value this page gives does not suit its conversion"
                line = line_at(form, 0)
            english_texts = (message, plural) if plural else (message,)
            problem = Problem(self.shown or "locales/", line, f"the translation of '{message}' cannot be "
                              f"filled in: {why}", own_placeholders(english_texts))
            if FAULTS.found is None:
                raise ContentError([problem]) from None
            FAULTS.found.append(problem)
            return english % values

    def text(self, message: str, **values) -> str:
        """A string as ``_()`` gives it, as plain text (the ODT, the CSV's meanings, deadlines)."""
        translation = self.gettext(message)
        return self.fill(message, translation, values, translation, message)

    def markup(self, message: str, **values) -> Markup:
        """A string as ``_()`` gives it: escaped, then filled in (values escaped as they go in)."""
        translation = self.gettext(message)
        return self.fill(message, Markup(escape(translation)), values, translation, Markup(escape(message)))

    def nmarkup(self, singular: str, plural: str, count: int, number: str, **values) -> Markup:
        """A count's string as ``ngettext()`` gives it, its count written as ``number``."""
        chosen = self.ngettext(singular, plural, count)
        english = (singular if count == 1 else plural).replace("%(num)d", number)
        counted = Markup(escape(chosen.replace("%(num)d", number)))
        return self.fill(singular, counted, {"num": count, **values}, chosen, Markup(escape(english)), plural)


class Faults(threading.local):
    """Inside :func:`fill_faults`, in its thread: the translations its task could not fill in
    (:class:`ContentError` tells each once). Per thread: the preview renders in two (a quick
    update beside a build), and one's faults must not be quietly kept by the other's task."""

    found: list[Problem] | None = None


FAULTS = Faults()

FORGET_AFTER_FAULT: list[Callable[[], None]] = []
"""What drops output kept for reuse in this process (the template environments, with their
memos of macros and labels), run when a task met a fault: such output may hold the English put
in a translation's place, and reused by a later build, it would be published without the fault
being met again (the preview builds again and again in one process)."""


@contextmanager
def fill_faults() -> Iterator[None]:
    """Run a task (a group's pages, a document) to its end through the translations it cannot
    fill in, then raise them all together: a translator told of one a build met the next one
    only after fixing it and building again. What the task made meanwhile is never used."""
    outer, FAULTS.found = FAULTS.found, []
    try:
        yield
        found = FAULTS.found
    finally:
        FAULTS.found = outer
    if found:
        for forget in FORGET_AFTER_FAULT:
            forget()
        raise ContentError(found)


def own_placeholders(english: tuple[str, ...], wrong: str = "") -> str:
    """The fix for a translation that names a value its page does not give, or writes one
    otherwise than its English (``wrong`` starts with the placeholder): the placeholders its own
    English has (singular and plural), written as it writes them, which are the values the page
    gives it; or, where the English writes it with %% (the search page fills it in itself), that."""
    if wrong.startswith("%(") and (escaped := "%" + wrong[: wrong.find(")") + 1]) in english[0]:
        return f"write {escaped}… as its English does: the page fills it in itself"
    written = sorted({found[0] for text in english for found in PLACEHOLDER.finditer(text) if found["name"]})
    if not written:
        return "its English has no placeholder: remove it (write %% for a percent sign)"
    return f"use only the placeholders its English has, as it writes them: {', '.join(written)}"


def catalog_path(project: Path, lang: str) -> Path:
    """The one file a language's interface strings are read from."""
    return project / "locales" / LOCALES.get(lang, "") / "LC_MESSAGES" / "messages.po"


def catalog(project: Path, lang: str) -> Catalog:
    path = catalog_path(project, lang)
    if lang not in LOCALES or not path.is_file():
        return Catalog(None)
    return read_catalog(path.read_bytes(), path.relative_to(project).as_posix())


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


PO_LINE = re.compile(r'(#.*|\s*|(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)\s+"([^"\\]|\\.)*"\s*'
                     r'|"([^"\\]|\\.)*"\s*)')
"""A line of a .po file: a comment, an empty line, a keyword and its quoted string, or a string
continued. Babel reads others too, and mangles them (an unquoted or unterminated string)."""


ENTRY_HINT = 'write each entry as msgid "…" then msgstr "…", as the others are (a " inside is written \\")'


@lru_cache(maxsize=8)
def parsed(data: bytes) -> list | tuple[int, str, str]:
    """A catalog's entries, or (line, why, fix) no catalog can be read from it: read once per
    content, for the pages and for :func:`catalog_problems` alike. UTF-8 with any line ends
    and with or without a byte-order mark, as plans are."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return (data[: error.start].count(b"\n") + 1, "the catalog is not UTF-8 text",
                "save it as UTF-8 (in most editors: Save as… › Encoding), not Big5")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    seen: dict[tuple[str, str], int] = {}
    context = ""
    for number, line in enumerate(lines, 1):
        if not PO_LINE.fullmatch(line):
            return number, "the line is no part of an entry", ENTRY_HINT
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid "):  # an id over several lines (msgid "" then strings) is not compared
            key, context = (context, line.removeprefix("msgid ").strip()), ""
            if key[1] != '""' and key in seen:  # Babel kept one of them, silently
                return (number, f"the entry {key[1]} is given twice (first at line {seen[key]})",
                        "delete one of them")
            seen.setdefault(key, number)
    try:
        messages = list(read_po(io.StringIO("\n".join(lines)), abort_invalid=True))
    except PoFileError as error:
        why = re.sub(r" on \d+$", "", str(error))  # Babel counts lines from 0
        line = error.lineno + 1
        if "more translations than num_plurals" in why:
            why = "it gives more plural forms than the language has (Chinese has one, msgstr[0]; English two)"
            # Babel names the entry's first line: the last form it gives is one too many
            forms = itertools.takewhile(lambda n: lines[n - 1].strip(), range(line, len(lines) + 1))
            line = max((n for n in forms if lines[n - 1].startswith("msgstr[")), default=line)
            return line, why, "delete that line"
        return line, why, ENTRY_HINT
    except (ValueError, LookupError) as error:  # a header Babel cannot use
        return 1, f"Babel cannot read its header ({error})", "restore the header: git restore locales"
    for message in messages:
        message.string_lines = string_lines(lines, message.lineno) if message.lineno else []  # the header
    return messages


def string_lines(lines: list[str], start: int) -> list[list[tuple[int, str]]]:
    """Where the translation of the entry whose msgid is at line ``start`` stands: per form
    (msgstr, or msgstr[0], msgstr[1] …), the (line, text) of each of its strings, the first
    on the msgstr line and the rest continuing it; for problems at the line a translator
    must change, not the entry's first."""
    forms: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    for number in range(start, len(lines) + 1):
        line = lines[number - 1].strip()
        if number > start and (not line or line.startswith(("#", "msgid ", "msgctxt"))):
            break
        keyword, _, quoted = line.partition('"')
        if keyword.startswith("msgstr"):
            current = []
            forms.append(current)
        elif keyword.strip():
            current = None
        if current is not None and quoted:
            current.append((number, unescape('"' + quoted)))
    return forms


def line_at(form: list[tuple[int, str]], offset: int, default: int = 1) -> int:
    """The line of the string of a translation's form (:func:`string_lines`) that holds the
    character at ``offset`` of the form's text; ``default`` for a form with no string."""
    for at, string in form:
        if offset < len(string):
            return at
        offset -= len(string)
    return form[-1][0] if form else default


@lru_cache(maxsize=8)
def read_catalog(data: bytes, shown: str = "") -> Catalog:
    """A catalog parsed once per content (a build asks for it once per plan); keyed by the
    bytes themselves, so an edited catalog is always read again (the preview)."""
    return Catalog(data, shown)


PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^()%]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                         r"(?P<kind>[diouxXeEfFgGcrsa%])")
"""A conversion of Python's % formatting (%s, %(name)s, %% …), which fills in every interface
string: the templates' _() and ngettext, and the parts of pages made in Python."""


def catalog_problems(project: Path) -> list[Problem]:
    """Each catalog's lines that a build could not use, at their line (and, as warnings, the
    entries it does not use: those marked fuzzy or given a context): a line the .po format
    does not allow, and a translation that cannot be filled in as its English is: a lone %
    (which must be written %%), a %s that names no value, or a value no English string names
    (a misspelt %(year)s). Each stopped a build with a traceback, or put a Python dictionary
    on the page. (A page may give a string more values than its English names: 'ROC
    %(year)s' is given the year AD too, which the English translation shows.)"""
    problems = []
    for lang in LOCALES:
        path = catalog_path(project, lang)
        shown = path.relative_to(project).as_posix()
        if not path.is_file():
            if lang != EN.code:  # the English pages' strings are their own ids; these pages' are not
                problems.append(Problem(shown, 1, "the catalog is missing (or is not a file): the pages in "
                                        f"{lang} would show the interface in English",
                                        "restore it: git restore locales (or copy it from plansite)"))
            continue
        messages = parsed(path.read_bytes())
        if not isinstance(messages, list):
            line, why, fix = messages
            problems.append(Problem(shown, line, f"the catalog cannot be read: {why}", fix))
            continue
        known: dict[str, set[str]] = {"num": {"%(num)d"}}  # a value's name → as any English writes it
        for message in messages:
            for name, written in written_by(english_of(message) if message.id else ()).items():
                known.setdefault(name, set()).update(written)
        for message in messages:
            english = english_of(message)[0] if message.id else ""
            if message.id and message.context:
                problems.append(Problem(shown, message.lineno, f"the entry for '{english}' has a context "
                                        f"(msgctxt \"{message.context}\"), which no page asks for: the pages "
                                        "show the English", "delete its msgctxt line", warning=True))
            elif message.id and message.fuzzy and any(english_of(message)) and message.string:
                problems.append(Problem(shown, message.lineno, f"the translation of '{english}' is marked "
                                        "fuzzy (not checked yet): the pages show the English",
                                        "check it, then delete the '#, fuzzy' line above it", warning=True))
            if not message.id or not message.string or message.fuzzy:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for index, translation in enumerate(forms):
                found = unfillable(translation, {**known, **written_by(english_of(message))})
                if found:
                    why, offset, hint = found
                    form = message.string_lines[index] if index < len(message.string_lines) else []
                    if hint is None:
                        hint = own_placeholders(english_of(message), translation[offset:])
                    at = line_at(form, offset, message.lineno)
                    why = f"the translation of '{english}' cannot be filled in: {why}"
                    problems.append(Problem(shown, at, why, hint))
                    break
    return problems


def written_by(english: tuple[str, ...]) -> dict[str, set[str]]:
    """Each value an entry's English names, as it writes it (%(num)d in a count's string)."""
    written: dict[str, set[str]] = {}
    for text in english:
        for match in PLACEHOLDER.finditer(text):
            if match["name"] is not None:
                written.setdefault(match["name"], set()).add(match[0])
    return written


def english_of(message) -> tuple[str, ...]:
    """A catalog entry's English: its message id, and its plural form if it has one."""
    return message.id if isinstance(message.id, tuple) else (message.id,)


def unfillable(translation: str, known: dict[str, set[str]]) -> tuple[str, int, str | None] | None:
    """Why Python's % cannot fill in ``translation`` as the pages do, where (its offset) and
    the fix (None: name the placeholders the English has); or None. ``known``: each value an
    English string names, as they write it (as its own English does, if it names it). A
    placeholder is written so: %(date)a put Python's repr of a value on the page, %(number)e
    wrote 1.000000e+00, and a width of twenty million made a page of 120 MB."""
    spans = []
    for match in PLACEHOLDER.finditer(translation):
        if match["kind"] != "%" and match["name"] is None:
            return f"'{match[0]}' names no value", match.start(), None
        if match["name"] is not None and match["name"] not in known:
            return f"no English string has '{match[0]}'", match.start(), None
        if match["name"] is not None and match[0] not in known[match["name"]]:
            return (f"'{match[0]}' is not written as the English writes it", match.start(),
                    f"write {' or '.join(sorted(known[match['name']]))}")
        spans.append(match.span())
    lone = next((i for i, char in enumerate(translation)
                 if char == "%" and not any(start <= i < end for start, end in spans)), None)
    if lone is not None:
        around = translation[max(0, lone - 6):lone + 2]
        return f"the '%' in '{around}' stands alone", lone, "write %% for a percent sign"
    values = {name: 1 if any(w.endswith("d") for w in written) else "1" for name, written in known.items()}
    try:
        translation % values  # the check is whether it raises
    except (ValueError, TypeError, KeyError):
        return "Python's % cannot fill it in", 0, None
    return None
