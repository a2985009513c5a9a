"""The glossary (``content/glossary.yml``): each Chinese term and its English wording."""

from __future__ import annotations

from pathlib import Path

import yaml

from . import model as m
from .errors import ContentError, Report
from .inputs import read_setting
from .project import GLOSSARY_FILE
from .yamlnode import read_yaml


def load_glossary(project: Path) -> tuple[m.Term, ...]:
    """Read ``content/glossary.yml``; raise ContentError listing its problems."""
    report = Report(GLOSSARY_FILE.as_posix())
    text = read_setting(project, GLOSSARY_FILE.as_posix(), report)
    if text is None and not report.problems:
        return ()
    root = read_yaml(text, report, guide="README.md ('Translating plans')") if text is not None else None
    terms: list[m.Term] = []
    seen: dict[str, int] = {}
    for entry in root.items() if root else []:
        keys = entry.keys(("zh", "en"), ("note",))
        if keys is None or len(keys) < 2:
            continue
        zh_node = keys["zh"]
        zh = tuple(zh_node.text_list()) if isinstance(zh_node.node, yaml.SequenceNode) else (zh_node.text(),)
        if not zh:
            zh_node.fail(f"'{zh_node.name}' names no term", "write the Chinese term, or a list of its forms "
                         "in brackets, e.g. [國家發展委員會, 國發會]")
        for variant in zh:
            if variant in seen:
                zh_node.fail(f"'{variant}' is in the glossary twice (first at line {seen[variant]})",
                             "keep one entry")
            seen.setdefault(variant or "", zh_node.line)
        terms.append(m.Term(tuple(v for v in zh if v), keys["en"].text() or "",
                            keys["note"].text() if "note" in keys else None,
                            m.Location(report.path, entry.line)))
    if report.problems:
        raise ContentError(report.problems)
    return tuple(terms)
