"""Classification codes (服務分類, theme, cake): read the same way for a plan's front matter
and for ``site.yml``."""

from __future__ import annotations

import re

from . import model as m
from .yamlnode import Node

SERVICE_CODES = {
    "100": "生育保健", "200": "出生及收養", "300": "求學及進修", "400": "服兵役", "500": "求職及就業",
    "600": "開創事業", "700": "婚姻", "800": "投資理財", "900": "休閒旅遊", "A00": "交通及通訊",
    "B00": "就醫", "C00": "購屋及遷徙", "D00": "選舉及投票", "E00": "生活安全及品質", "F00": "退休",
    "G00": "老年安養", "H00": "生命禮儀", "I00": "公共資訊",
}
"""The 服務分類 codes of the government's metadata (Category.Service), with what each means;
docs/format.md lists them (tests/test_format_doc.py keeps the two alike)."""


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
