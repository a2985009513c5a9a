"""Classification codes (服務分類, theme, cake): read the same way for a plan's front matter
and for ``site.yml``."""

from __future__ import annotations

import re

from . import model as m
from .yamlnode import Node

SERVICE_CODES = {"100", "200", "300", "400", "500", "600", "700", "800", "900"} | {
    f"{letter}00" for letter in "ABCDEFGHI"
}


def read_classification(node: Node) -> m.Classification:
    keys = node.keys(("service",), ("theme", "cake")) or {}
    service = keys["service"].text() if "service" in keys else None
    if service is not None and service not in SERVICE_CODES:
        keys["service"].fail(f"'{service}' is not a 服務分類 code",
                             f"use one of {', '.join(sorted(SERVICE_CODES))} (I00 is 公共資訊)")
    codes = {}
    for key in ("theme", "cake"):
        if key in keys and (code := keys[key].text()) is not None:
            if not re.fullmatch(r"[0-9A-Z]{3}", code):
                keys[key].fail(f"'classification.{key}' must be a 3-character code, not '{code}'",
                               'write it in quotes, e.g. "340"')
            codes[key] = code
    return m.Classification(service or "", codes.get("theme"), codes.get("cake"))
