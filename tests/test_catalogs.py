"""Every interface string in the templates and code is in both catalogs, translated."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from .conftest import PROJECT


def extracted() -> set[str]:
    method_map = [("plansite/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(PROJECT, method_map, options)
    }


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_catalog_translates_every_string(locale: str) -> None:
    path = PROJECT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    strings = extracted()
    assert len(strings) > 30
    missing = sorted(s for s in strings if s not in catalog)
    assert missing == [], "run ./setup catalogs and translate the new entries (README, 'Interface strings')"
    untranslated = sorted(m.id for m in catalog if m.id and (not m.string or m.fuzzy))
    assert untranslated == []


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_catalog_says_each_string_once(locale: str) -> None:
    """A string twice in a catalog is read with its last translation: "Every year" was both the
    search's 所有年度 and the deadline kind 每年辦理, and the search showed 每年辦理."""
    path = PROJECT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    ids = [(lines[i - 1] if i and lines[i - 1].startswith("msgctxt") else "", line)
           for i, line in enumerate(lines) if line.startswith("msgid ") and line != 'msgid ""']
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
