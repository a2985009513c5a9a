"""Which text is in which language: the patterns the renderer marks and the checker checks.

Chinese pages often quote English names (Alien-taxpayer Tailored Management, Web Call) and
English pages quote Chinese (a 字號, a term). Authors cannot write lang= in Markdown, so the
HTML renderer wraps such passages itself, and Taiwan's HM2310200C check uses the same patterns.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from .site_paths import EN, ZH

CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]*")
"""A run of Chinese characters (and the full-width punctuation between them)."""
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ -][A-Za-z]{2,})+")
"""An English passage: two or more words (single acronyms such as ODF stay unmarked)."""


def mark_other_language(text: str, page_lang: str) -> Markup:
    """Escaped text with the passages in the page's other language wrapped in a lang span."""
    pattern, lang = (CHINESE, ZH.code) if page_lang == EN.code else (ENGLISH, EN.code)
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[pos : match.start()]))
        out.append(Markup('<span lang="{}">{}</span>').format(lang, match.group()))
        pos = match.end()
    out.append(escape(text[pos:]))
    return Markup("".join(out))
