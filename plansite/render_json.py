"""JSON renderer: the plan model as open data (the section tree plus a flat list of actions).

A pure function of the model. Dates are ISO 8601 strings; text is plain (editorial notes are
kept, in their brackets, so data users see them too).
"""

from __future__ import annotations

from datetime import date

import orjson

from . import formats
from . import model as m
from .site_paths import EN, SCHEMA, ZH, address, language, plan_data, plan_page
from .site_paths import attachment as site_attachment


def render_plan_json(plan: m.Plan, base_url: str) -> str:
    """data/plans/ID.LANG.json: the plan whole, as data/plan.schema.json describes it."""
    data = {
        "id": plan.id,
        "lang": plan.lang,
        "title": plan.title,
        "agency": {"zh": plan.agency.zh, "en": plan.agency.en},
        "year": plan.year,
        "year_ad": plan.year_ad,
        "issued": iso(plan.issued),
        "issued_ref": plan.issued_ref,
        "amended": [day.isoformat() for day in plan.amended],
        "period": period_data(plan.period),
        "basis": [
            {"authority": b.authority, "title": b.title, "date": iso(b.date), "ref": b.ref}
            for b in plan.basis
        ],
        "classification": {
            "service": plan.classification.service,
            "theme": plan.classification.theme,
            "cake": plan.classification.cake,
        },
        "sections": [section_data(s) for s in plan.sections],
        "actions": [
            action_data(action) | {
                "groups": [heading(g) for g in groups],
                "group_ids": [g.id for g in groups],
            }
            for groups, action in plan.actions()
        ],
        "attachments": attachment_data(plan, base_url),
    }
    return dumps(data)


def period_data(period: m.Period | None) -> dict | None:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()} if period else None


def render_catalogue(editions: tuple[m.Edition, ...], base_url: str) -> str:
    """data/plans.json: every plan, with its titles, counts, dates and the addresses of every
    format it is published in."""
    plans = []
    for edition in editions:
        zh, en = edition.zh, edition.en
        languages = [(ZH, zh), *([(EN, en)] if en else [])]
        plans.append({
            "id": zh.id,
            "agency": {"zh": zh.agency.zh, "en": zh.agency.en},
            "year": zh.year,
            "year_ad": zh.year_ad,
            "amended": [day.isoformat() for day in zh.amended],
            "period": period_data(zh.period),
            "title": {"zh": zh.title, "en": en.title if en else None},
            "actions": m.plan_actions(zh),
            "modified": iso(edition.source_updated),
            "classification": {"service": zh.classification.service, "theme": zh.classification.theme,
                               "cake": zh.classification.cake},
            "urls": {
                lang.tag: {
                    "page": base_url + address(plan_page(zh.id, lang)),
                    **{f.kind: f"{base_url}{f.path(plan)}" for f in formats.FORMATS if f.plans(plan)},
                    "json": base_url + plan_data(zh.id, lang, "json"),
                    "csv": base_url + plan_data(zh.id, lang, "csv"),
                }
                for lang, plan in languages
            },
            **({"attachments": {lang.tag: attachment_data(plan, base_url) for lang, plan in languages}}
               if zh.attachments else {}),
        })
    return dumps({"schema": base_url + SCHEMA, "plans": plans})


def attachment_data(plan: m.Plan, base_url: str) -> list[dict]:
    """A plan's attachments, in its data and the catalogue: each file's title, address, MIME
    type, size and language (and an image's alternative text), and each attachment written as
    a table, its section's address on the plan's page."""
    page = base_url + address(plan_page(plan.id, language(plan.lang)))
    out = []
    for attachment in plan.attachments:
        entry: dict = {"title": attachment.title}
        if attachment.section is not None:
            entry["url"] = f"{page}#{attachment.section}"
        elif (format := formats.ATTACHMENT_KINDS.get(attachment.kind or "")) is not None:
            entry.update(url=base_url + site_attachment(plan.id, attachment.file),
                         media_type=format.media_type, size=attachment.size, lang=attachment.lang)
            if attachment.alt is not None:
                entry["alt"] = attachment.alt
        out.append(entry)
    return out


def dumps(data: dict) -> str:
    """Indented UTF-8 JSON, as ``json.dumps(indent=2, ensure_ascii=False)`` writes it, made by
    orjson: at a thousand plans the standard library's indenting encoder took nine seconds."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")


def section_data(section: m.Section) -> dict:
    return {
        "id": section.id,
        "number": section.number,
        "title": m.plain_text(section.title),
        "blocks": [block_data(b) for b in section.blocks],
    }


def block_data(block: m.Block) -> dict:
    if isinstance(block, m.Paragraph):
        return {"type": "paragraph", "text": m.plain_text(block.inlines)}
    if isinstance(block, m.ListBlock):
        return {
            "type": "list",
            "ordered": block.ordered,
            "items": [
                {"number": item.number, "blocks": [block_data(b) for b in item.blocks]}
                for item in block.items
            ],
        }
    columns = block.columns
    return {
        "type": "actions",
        "name": block.name,
        "columns": {
            "groups": list(columns.groups),
            "action": columns.action,
            "deadline": columns.deadline,
            "units": columns.units,
            "fields": list(columns.fields),
        },
        "children": [node_data(n) for n in block.children],
    }


def node_data(node: m.Group | m.Action) -> dict:
    if isinstance(node, m.Action):
        return {"type": "action"} | action_data(node)
    return {
        "type": "group",
        "id": node.id,
        "level": node.level,
        "label": node.label,
        "number": node.number,
        "title": m.plain_text(node.title),
        "description": [block_data(b) for b in node.description],
        "children": [node_data(n) for n in node.children],
    }


def action_data(action: m.Action) -> dict:
    deadline = action.deadline
    return {
        "id": action.id,
        "number": action.number,
        "text": m.blocks_text(action.body),
        "deadline": None if deadline is None else {
            "text": deadline.text,
            "kind": deadline.kind,
            "start": iso(deadline.start),
            "end": iso(deadline.end),
            "every": deadline.every,
        },
        "units": list(action.units),
        "fields": {f.label: f.value for f in action.fields},
    }


def heading(node: m.Group | m.Section) -> str:
    return m.numbered(node.number, m.plain_text(node.title))


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
