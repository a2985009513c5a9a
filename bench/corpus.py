"""A synthetic corpus of N plans in the real format, for benchmarks. Deterministic: the same N
gives the same files.

    .venv/bin/python bench/corpus.py 1000 /tmp/corpus-1000

Each plan is new: sections and an action tree of one to three group levels holding 40 to 120
actions (the seed plans' range), drawn with a seeded random generator. As on a national site,
every agency has a plan a year: four plans in a row are one agency's (N / 4 agencies, the seed
plans' five numbered as samples).
The words are real: every action, group title and paragraph is taken, with its English
translation, from the project's plans, so the text has the seeds' vocabulary, sentence lengths
and mix of Chinese and numbers, and each English file carries the right ``{src=…}``
fingerprints, as a reviewed translation does.
"""

from __future__ import annotations

import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from plansite import model as m
from plansite.content import load_plans
from plansite.errors import Report
from plansite.plan_file import parse_plan
from plansite.translation import fingerprint

ZH_LEVELS = (
    "壹貳參肆伍陸柒捌玖拾",
    "一二三四五六七八九十",
    "一二三四五六七八九十",
)
EN_LEVELS = (["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"], [str(n) for n in range(1, 11)],
             [str(n) for n in range(1, 11)])
LABELS = (("實施要項", "Implementation item"), ("執行策略", "Strategy"), ("具體措施", "Specific measure"))
SECTIONS = (  # (zh heading, en heading, id) in the seeds' order
    ("計畫依據", "Basis of the plan", "basis"),
    ("計畫目標", "Goals of the plan", "goals"),
    ("實施對象", "Units covered", "scope"),
    ("具體實施計畫", "Implementation plan", "actions"),
    ("管制考核", "Monitoring and evaluation", "review"),  # the glossary's term
    ("附則", "Other matters", "other"),
)
KINDS = {"units": "scope", "control": "review"}
"""Seed sections whose text is of the same kind as one of SECTIONS under another id."""


@dataclass(frozen=True)
class Pair:
    zh: str
    en: str


@dataclass(frozen=True)
class Seeds:
    """Aligned Chinese and English text from the project's plans, to draw from."""

    actions: tuple[tuple[Pair, str, tuple[Pair, ...]], ...]
    """(text, Chinese deadline, units) of every action with a plain one-paragraph text."""
    groups: tuple[Pair, ...]
    paragraphs: dict[str, tuple[Pair, ...]]
    """By section id: the paragraphs and list items of that kind of section."""
    agencies: tuple[Pair, ...]
    classifications: tuple[str, ...]


def read_seeds() -> Seeds:
    plans = load_plans(PROJECT)
    zh = {p.id: p for p in plans if p.lang != "en"}
    en = {p.id: p for p in plans if p.lang == "en"}
    actions, groups = [], []
    paragraphs: dict[str, list[Pair]] = {key: [] for _, _, key in SECTIONS}
    for plan_id in sorted(zh):
        english_actions = {a.id: a for _, a in en[plan_id].actions()}
        for _, action in zh[plan_id].actions():
            other = english_actions[action.id]
            if (len(action.body) == 1 and isinstance(action.body[0], m.Paragraph) and len(other.body) == 1
                    and action.deadline and action.deadline.kind != "unknown" and action.units
                    and len(action.units) == len(other.units)):
                units = tuple(Pair(a, b) for a, b in zip(action.units, other.units, strict=True))
                actions.append((Pair(one_line(action.body), one_line(other.body)), action.deadline.text,
                                units))
        english_groups = {g.id: g for g in en[plan_id].groups()}
        for group in zh[plan_id].groups():
            groups.append(Pair(m.plain_text(group.title), m.plain_text(english_groups[group.id].title)))
        for section, other in zip(zh[plan_id].sections, en[plan_id].sections, strict=True):
            kind = paragraphs.get(KINDS.get(section.id, section.id))
            for block, translated in zip(section.blocks, other.blocks, strict=False):
                if kind is None:
                    continue
                if isinstance(block, m.Paragraph) and isinstance(translated, m.Paragraph):
                    kind.append(Pair(one_line((block,)), one_line((translated,))))
                elif isinstance(block, m.ListBlock) and isinstance(translated, m.ListBlock):
                    kind += [Pair(one_line(a.blocks), one_line(b.blocks))
                             for a, b in zip(block.items, translated.items, strict=False)]
    agencies = tuple(sorted({Pair(p.agency.zh, p.agency.en) for p in zh.values()}, key=lambda a: a.zh))
    classifications = tuple(sorted({p.classification.service for p in zh.values()}))
    prose = {key: tuple(dict.fromkeys(pairs)) for key, pairs in paragraphs.items() if pairs}
    return Seeds(tuple(actions), tuple(dict.fromkeys(groups)), prose, agencies, classifications)


def one_line(blocks: tuple[m.Block, ...]) -> str:
    return " ".join(m.blocks_text(blocks).split())


@dataclass
class Node:
    """A group of the generated action tree: a title and either subgroups or actions."""

    title: Pair
    children: list


def action_tree(rng: random.Random, seeds: Seeds) -> list[Node]:
    """Top-level groups holding 40–120 actions, nested one to three levels deep."""
    depth = rng.choice((1, 2, 2, 3))
    actions = rng.sample(seeds.actions, rng.randint(40, 120))

    def split(items: list, level: int) -> list[Node]:
        count = min(len(items), rng.randint(2, 5))
        cuts = sorted(rng.sample(range(1, len(items)), count - 1)) if count > 1 else []
        parts = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
        nodes = []
        for part in parts:
            title = rng.choice(seeds.groups)
            deeper = level + 1 < depth and len(part) >= 4
            nodes.append(Node(title, split(part, level + 1) if deeper else part))
        return nodes

    return split(actions, 0)


PLANS_PER_AGENCY = 4


def agency_of(number: int, seeds: Seeds) -> tuple[Pair, int]:
    """(agency, ROC year) of plan ``number``: a national site holds many agencies with a plan a
    year each, so every PLANS_PER_AGENCY plans in a row are one agency's consecutive years.
    Agencies are the seeds' five, numbered as samples beyond the first five."""
    index, year = divmod(number, PLANS_PER_AGENCY)
    seed = seeds.agencies[index % len(seeds.agencies)]
    sample = index // len(seeds.agencies)
    if sample:
        seed = Pair(f"{seed.zh}（樣本{sample}）", f"{seed.en} (sample {sample})")
    return seed, 111 + year


def plan_files(number: int, seeds: Seeds) -> tuple[str, str, str]:
    """(id, Chinese Markdown, English Markdown) of generated plan ``number``."""
    rng = random.Random(number)
    plan_id = f"plan-{number:04d}"
    agency, year = agency_of(number, seeds)
    tree = action_tree(rng, seeds)
    depth = tree_depth(tree)
    prose = {key: rng.sample(pairs, min(len(pairs), rng.randint(1, 3)))
             for key, pairs in seeds.paragraphs.items()}
    zh = [
        "---", f"id: {plan_id}", "lang: zh-Hant-TW", f"title: {agency.zh}{year}年度提升服務品質執行計畫",
        "agency:", f"  zh: {agency.zh}", f"  en: {agency.en}", f"year: {year}",
        "classification:", f"  service: {rng.choice(seeds.classifications)}",
        "tables:", "  main:", f"    groups: [{', '.join(LABELS[level][0] for level in range(depth))}]",
        "    action: 具體作法", "    deadline: 完成期限", "    units: 承辦單位", "---", "",
    ]
    en = [
        "---", f"id: {plan_id}", "lang: en",
        f"title: {agency.en} {year + 1911} Service Quality Improvement Plan",
        "tables:", "  main:", f"    groups: [{', '.join(LABELS[level][1] for level in range(depth))}]",
        "    action: Measures", "    deadline: Deadline", "    units: Responsible units", "---", "",
    ]
    for position, (heading_zh, heading_en, key) in enumerate(SECTIONS):
        zh += [f"# {ZH_LEVELS[0][position]}、{heading_zh} {{#{key}}}", ""]
        en += [f"# {EN_LEVELS[0][position]}. {heading_en} {{#{key} src=@{key}}}", ""]
        if key == "actions":
            zh += ["::: actions main", ""]
            en += ["::: actions main", ""]
            write_tree(tree, zh, en, [], 0)
            zh += [":::", ""]
            en += [":::", ""]
        else:
            for pair in prose.get(key, ()):
                zh += [pair.zh, ""]
                en += [pair.en, ""]
    chinese = "\n".join(zh)
    return plan_id, chinese, fill_fingerprints("\n".join(en), chinese, plan_id)


def tree_depth(nodes: list) -> int:
    groups = [n for n in nodes if isinstance(n, Node)]
    return 1 + max(tree_depth(g.children) for g in groups) if groups else 0


def write_tree(nodes: list, zh: list[str], en: list[str], path: list[int], level: int) -> None:
    """Groups as headings (## to ####), actions as numbered items; ``@id`` stands for the
    fingerprint of the Chinese item with that id, filled in once the Chinese file is parsed."""
    for position, node in enumerate(nodes):
        where = [*path, position + 1]
        key = "main-" + "-".join(map(str, where)) if isinstance(node, Node) else \
            "main-" + "-".join(map(str, path)) + f"-a{position + 1}"
        if isinstance(node, Node):
            hashes = "#" * (level + 2)
            if level < 2:
                zh_number, en_number = f"{ZH_LEVELS[level][position]}、", f"{EN_LEVELS[level][position]}."
            else:
                zh_number, en_number = f"({ZH_LEVELS[level][position]})", f"({EN_LEVELS[level][position]})"
            zh += [f"{hashes} {zh_number}{node.title.zh}", ""]
            en += [f"{hashes} {en_number} {node.title.en} {{src=@{key}}}", ""]
            write_tree(node.children, zh, en, where, level + 1)
        else:
            text, deadline, units = node
            zh += [f"- {position + 1}. {text.zh}", f"  完成期限：{deadline}",
                   f"  承辦單位：{'、'.join(u.zh for u in units)}", ""]
            en += [f"- {position + 1}. {text.en} {{src=@{key}}}",
                   f"  Responsible units: {'; '.join(u.en for u in units)}", ""]


def fill_fingerprints(english: str, chinese: str, plan_id: str) -> str:
    """Replace each ``@key`` with the fingerprint of the Chinese item it translates."""
    report = Report(f"{plan_id}.zh-Hant.md")
    plan = parse_plan(chinese, report, file_id=plan_id, file_lang="zh-Hant")
    if plan is None:
        raise SystemExit("\n".join(map(str, report.problems)))
    for item in m.items(plan):
        english = english.replace(f"src=@{item.id}}}", f"src={fingerprint(item)}}}")
    if "src=@" in english:
        raise SystemExit(f"{plan_id}: an English item has no Chinese item to translate")
    return english


def make_corpus(count: int, target: Path) -> Path:
    """A project folder at ``target`` with ``count`` generated plans (both languages) and the
    real templates, catalogs, glossary, frameworks and configuration."""
    if target.exists():
        shutil.rmtree(target)
    for name in ("templates", "locales"):
        shutil.copytree(PROJECT / name, target / name)
    shutil.copy(PROJECT / "site.yml", target / "site.yml")
    plans = target / "content" / "plans"
    plans.mkdir(parents=True)
    for name in ("glossary.yml", "frameworks.yml"):
        shutil.copy(PROJECT / "content" / name, target / "content" / name)
    seeds = read_seeds()
    for number in range(count):
        plan_id, chinese, english = plan_files(number, seeds)
        (plans / f"{plan_id}.zh-Hant.md").write_text(chinese, encoding="utf-8")
        (plans / f"{plan_id}.en.md").write_text(english, encoding="utf-8")
    return target


if __name__ == "__main__":
    make_corpus(int(sys.argv[1]), Path(sys.argv[2]))
