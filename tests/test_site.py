"""The built site: page structure read with a real HTML parser, the JSON data, and the
guarantee that a failed build leaves the published site exactly as it was."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import html

from plansite.publish import FILES, MARK
from plansite.site import build

from .conftest import PROJECT, copy_project


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    build(project, project / "site")
    return project / "site"


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def parse(path: Path):
    return html.fromstring(path.read_bytes(), parser=html.HTMLParser(encoding="utf-8"))


def test_expected_files(site: Path) -> None:
    ids = [p.name.split(".")[0] for p in sorted((PROJECT / "content" / "plans").glob("*.md"))]
    assert (site / "index.html").is_file()
    assert (site / "assets" / "site.css").is_file()
    for plan_id in ids:
        assert (site / "plans" / plan_id / "index.html").is_file()
        assert (site / "en" / "plans" / plan_id / "index.html").is_file()
        assert (site / "data" / "plans" / f"{plan_id}.zh-Hant.json").is_file()
    for name in ("index.html", "glossary/index.html"):
        assert (site / name).is_file() and (site / "en" / name).is_file()


def test_every_page_has_its_language_one_h1_and_no_skipped_heading_levels(site: Path) -> None:
    for path in pages(site):
        doc = parse(path)
        english = path.relative_to(site).parts[0] == "en"
        assert doc.get("lang") == ("en" if english else "zh-Hant-TW"), path
        assert doc.findtext(".//title").strip(), path
        assert len(doc.findall(".//h1")) == 1, path
        levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{path}: h{before} followed by h{after}"


def test_skip_link_comes_first_and_targets_main(site: Path) -> None:
    for path in pages(site):
        doc = parse(path)
        first_link = doc.find(".//body").iter("a").__next__()
        assert first_link.get("href") == "#main"
        assert doc.find(".//main").get("id") == "main"


def test_breadcrumbs_and_the_current_page_in_the_main_navigation(site: Path) -> None:
    """Every page but the home page says where it is: breadcrumbs (a named nav, an ordered list,
    home first, the page itself last as text marked aria-current="page"); and the main
    navigation marks the page it is (aria-current="page") or the part of the site it is in
    (a plan under the list of plans, an agency's units under the units: "true")."""
    for path in pages(site):
        rel = path.relative_to(site).as_posix()
        english, inner = rel.startswith("en/"), rel.removeprefix("en/")
        root = site / "en" if english else site
        doc = parse(path)

        def target(href: str, path=path, root=root) -> str:
            resolved = site / href.lstrip("/") if href.startswith("/") else path.parent / href
            return os.path.relpath(os.path.normpath(resolved), root)

        menu = {target(a.get("href")): a.get("aria-current") for a in doc.xpath('//nav[@class="ps-nav"]//a')}
        marked = {where: value for where, value in menu.items() if value}
        if inner == "index.html":
            expected = {"index.html": "page"}
        elif inner.startswith("plans/"):
            expected = {"index.html": "true"}
        elif inner.startswith("units/") and inner != "units/index.html":
            expected = {"units/index.html": "true"}
        else:
            expected = {inner: "page"} if inner in menu else {}
        assert marked == expected, rel
        assert {"framework/index.html", "units/index.html", "deadlines/index.html"} <= set(menu), rel

        trails = doc.xpath('//nav[@class="ps-breadcrumbs"]')
        if inner == "index.html":
            assert trails == [], rel
            continue
        assert len(trails) == 1 and trails[0].getparent().tag == "body", rel
        assert trails[0].get("aria-label") == ("You are here" if english else "目前位置"), rel
        items = trails[0].xpath("./ol/li")
        assert len(items) >= 2, rel
        *above, last = items
        assert target(above[0].find("a").get("href")) == "index.html", rel
        for item in above:
            link = item.find("a")
            assert link is not None and link.get("aria-current") is None, rel
            assert (root / target(link.get("href"))).is_file(), rel
        assert last.find(".//a") is None, rel
        current = last.xpath('.//*[@aria-current="page"]')
        name = " ".join(current[0].text_content().split()) if current else ""
        assert name and name in " ".join(doc.find(".//h1").text_content().split()), f"{rel}: {name!r}"


def test_ids_are_unique_and_every_fragment_link_resolves(site: Path) -> None:
    for path in pages(site):
        doc = parse(path)
        ids = [e.get("id") for e in doc.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), path
        for link in doc.iter("a"):
            href = link.get("href", "")
            if href.startswith("#"):
                assert href[1:] in ids, f"{path}: {href}"


def test_every_data_table_has_caption_and_scoped_headers(site: Path) -> None:
    tables = 0
    for path in pages(site):
        for table in parse(path).iter("table"):
            tables += 1
            assert table.find("caption") is not None and table.findtext("caption").strip()
            header_rows = table.findall("thead/tr")
            assert len(header_rows) == 1
            for th in table.iter("th"):
                assert th.get("scope") in ("col", "row"), html.tostring(th)
            for cell in table.findall("tbody/tr/td"):
                assert cell.get("data-label"), "stacked layout needs each cell's column name"
    assert tables > 50


def test_every_section_group_and_action_has_its_anchor(site: Path) -> None:
    for data_path in sorted((site / "data" / "plans").glob("*.json")):
        data = json.loads(data_path.read_text(encoding="utf-8"))
        folder = site / "en" if data["lang"] == "en" else site
        page_ids = {e.get("id") for e in parse(folder / "plans" / data["id"] / "index.html").iter()}
        wanted = [s["id"] for s in data["sections"]] + [a["id"] for a in data["actions"]]
        wanted += [g for a in data["actions"] for g in a["group_ids"]]
        assert set(wanted) <= page_ids, data["id"]


def test_index_lists_every_plan_with_roc_year_and_action_count(site: Path) -> None:
    doc = parse(site / "index.html")
    rows = doc.findall(".//tbody/tr")
    assert len(rows) == len(list((site / "data" / "plans").glob("*.zh-Hant.json")))
    keelung = next(r for r in rows if "keelung" in r.find(".//a").get("href"))
    cells = [c.text_content().strip() for c in keelung.findall("td")]
    assert cells == ["基隆市稅務局", "民國112年", "60"]


def test_english_names_on_chinese_pages_carry_their_language(site: Path) -> None:
    doc = parse(site / "plans" / "keelung-tax-2023" / "index.html")
    spans = [s for s in doc.iter("span") if "Keelung City Tax Bureau" in (s.text or "")]
    assert spans and all(s.get("lang") == "en" for s in spans)


def test_editorial_notes_are_marked(site: Path) -> None:
    doc = parse(site / "plans" / "keelung-tax-2023" / "index.html")
    notes = [e for e in doc.iter() if "ps-note" in (e.get("class") or "")]
    assert notes and all(n.text_content().startswith("〔編註") for n in notes)


def test_plan_json_has_flat_actions_in_document_order(site: Path) -> None:
    data = json.loads((site / "data" / "plans" / "ntbt-2016.zh-Hant.json").read_text(encoding="utf-8"))
    assert data["lang"] == "zh-Hant-TW" and data["year"] == 105 and data["year_ad"] == 2016
    assert len(data["actions"]) == 107  # 106 in the main table, 1 in the mid-term table
    first = data["actions"][0]
    assert set(first) == {"id", "number", "groups", "group_ids", "text", "deadline", "units", "fields"}
    assert first["groups"] == ["優質便民服務", "服務流程", "服務流程便捷性"]
    assert set(first["deadline"]) == {"text", "kind", "start", "end", "every"}
    ranges = [a["deadline"] for a in data["actions"] if a["deadline"]["kind"] == "range"]
    assert {"text": "105.5.1~105.5.31", "kind": "range", "start": "2016-05-01",
            "end": "2016-05-31", "every": None} in ranges
    tree_ids = []

    def walk(nodes):
        for node in nodes:
            if node["type"] == "action":
                tree_ids.append(node["id"])
            elif node["type"] == "group":
                walk(node["children"])

    for section in data["sections"]:
        for block in section["blocks"]:
            if block["type"] == "actions":
                walk(block["children"])
    assert tree_ids == [a["id"] for a in data["actions"]]


def plan_pages(site: Path):
    """(page, JSON) of every plan page, both languages (an untranslated plan's English page
    shows the Chinese plan)."""
    for data_path in sorted((site / "data" / "plans").glob("*.zh-Hant.json")):
        zh = json.loads(data_path.read_text(encoding="utf-8"))
        en_path = data_path.with_name(data_path.name.replace(".zh-Hant.", ".en."))
        en = json.loads(en_path.read_text(encoding="utf-8")) if en_path.exists() else zh
        yield site / "plans" / zh["id"] / "index.html", zh
        yield site / "en" / "plans" / zh["id"] / "index.html", en


def count_in(text: str) -> int:
    return int("".join(c for c in text if c.isdigit()))


def test_plan_summary_counts_actions_by_kind_and_unit_and_each_links_to_its_narrowed_view(site: Path) -> None:
    """The summary's counts are the plan's (from its JSON), each kind and unit leads to a part
    of a narrowed view holding exactly that many actions, units meaning every unit of the
    agency (各單位, all units) are listed apart, and dated actions come in time order."""
    checked = 0
    for path, data in plan_pages(site):
        doc = parse(path)
        summaries = doc.find_class("ps-summary")
        if not data["actions"]:
            assert summaries == [], path
            continue
        summary = summaries[0]
        lead = summary.find_class("ps-summary__lead")[0].text_content()
        assert count_in(lead.split(".")[0].split("。")[0]) == len(data["actions"])
        kinds = Counter(reader_kind(a["deadline"]) for a in data["actions"])
        units = Counter(u for a in data["actions"] for u in dict.fromkeys(a["units"]))
        shown: dict[str, dict[str, int]] = {"k": {}, "u": {}}
        for link in summary.iter("a"):
            href = link.get("href")
            if "#k-" in href or "#u-" in href:
                count = count_in(link.getnext().text_content())
                kind = href.split("#")[1][0]
                key = href.split("#k-")[1] if kind == "k" else link.text_content()
                shown[kind][key] = count
                part = parse(path.parent / href.split("#")[0]).get_element_by_id(href.split("#")[1])
                assert len(part.findall(".//tbody/tr")) == count, f"{path}: {href}"
                checked += 1
        assert shown["k"] == (dict(kinds) if len(kinds) > 1 else {}), path
        assert shown["u"] == dict(units), path
        everyone = summary.find_class("ps-summary__sub")
        apart = [a.text_content() for a in everyone[-1].getnext().iter("a")] if units and everyone else []
        assert sorted(apart) == sorted(u for u in units if u.startswith("各") or "all " in u), path
        dated = [a for a in data["actions"] if a["deadline"] and a["deadline"]["end"]]
        dated.sort(key=lambda a: (a["deadline"]["end"], a["deadline"]["start"] or a["deadline"]["end"]))
        listed = [a.get("href") for ol in summary.find_class("ps-summary__dated") for a in ol.iter("a")]
        assert listed == ["#" + a["id"] for a in dated], path
    assert checked > 100


def reader_kind(deadline: dict | None) -> str:
    """The kind of deadline readers are shown (as on the deadlines page): by how often for a
    recurring one; a date, a month and a period together as dated; none without a column."""
    if deadline is None:
        return "none"
    if deadline["kind"] == "recurring":
        return f"every-{deadline['every']}"
    return "dated" if deadline["kind"] in ("date", "month", "range") else deadline["kind"]


def test_a_note_many_rows_share_is_said_once_and_their_cells_say_not_stated(site: Path) -> None:
    for path, data in plan_pages(site):
        notes = Counter(a["deadline"]["text"] for a in data["actions"]
                        if a["deadline"] and a["deadline"]["kind"] == "unknown")
        shared = [text for text, count in notes.items() if count > 1]
        doc = parse(path)
        text = doc.text_content()
        for number, note in enumerate(shared, start=1):
            assert text.count(note) == 1, f"{path}: note {number} said {text.count(note)} times"
            assert note in doc.get_element_by_id(f"note-{number}").text_content()
            cells = [a.getparent() for a in doc.iter("a") if a.get("href") == f"#note-{number}"]
            assert len(cells) == notes[note], path
            english = "/en/" in path.as_posix()
            assert {" ".join(c.text_content().split()) for c in cells} == {
                f"Not stated (note {number})" if english else f"未載明（註{number}）"}, path
        if "hsinchu" in path.as_posix():
            assert len(shared) == 1  # 4.5-4.10 of (二) 服務友善: 5 deadlines printed for 6 actions


def test_contents_show_two_levels_and_fold_the_rest_and_long_sections_lead_back_to_top(site: Path) -> None:
    for path, _ in plan_pages(site):
        doc = parse(path)
        toc = doc.find_class("ps-toc")[0]
        for link in toc.iter("a"):
            depth = sum(1 for e in link.iterancestors("ol"))
            folded = any(True for _ in link.iterancestors("details"))
            assert folded == (depth > 2), f"{path}: {link.text_content()} at depth {depth}"
        backs = doc.find_class("ps-back")
        assert all(p.find("a").get("href") == "#main" for p in backs)
        for section in doc.find_class("ps-section"):
            groups = section.find_class("ps-group")
            ends = [g for g in groups if "ps-group--level1" in g.get("class")]
            if section.find(".//table") is not None:
                for place in ends or [section]:
                    assert place[-1] in backs, f"{path}: {place.get('class')} ends with no way back to top"
        assert not re.search(r'ps-back">.*?</p>\s*(</section>\s*|</div>\s*)*<p class="ps-back"',
                             path.read_text(encoding="utf-8")), f"{path}: two ways back to top in a row"
    counts = {plan: len(parse(site / "plans" / plan / "index.html").find_class("ps-back"))
              for plan in ("hsinchu-tax-2018", "ntbt-2016", "keelung-tax-2023", "kaohsiung-finance-2024")}
    assert counts == {"hsinchu-tax-2018": 5, "ntbt-2016": 5, "keelung-tax-2023": 6,
                      "kaohsiung-finance-2024": 7}
    hsinchu = parse(site / "plans" / "hsinchu-tax-2018" / "index.html").find_class("ps-toc")[0]
    assert len(hsinchu.findall(".//details")) == 2 and len(hsinchu.findall(".//details//a")) == 16


def test_narrowed_views_are_in_the_sitemap_but_not_in_the_search_index(site: Path) -> None:
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    views = sorted(site.glob("plans/*/*/index.html")) + sorted(site.glob("en/plans/*/*/index.html"))
    assert len(views) == 12
    for view in views:
        assert "/" + view.relative_to(site).as_posix().removesuffix("index.html") + "<" in sitemap
        page = view.read_text(encoding="utf-8")
        assert "data-pagefind-body" not in page and "ps-views" in page


def test_raw_html_in_content_is_shown_as_text(project: Path) -> None:
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8") + "\n<script>alert('x')</script>\n", encoding="utf-8")
    build(project, project / "site")
    page = (project / "site" / "plans" / "mof-2017" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), "--project", str(project), *args],
        check=False, capture_output=True, text=True, timeout=120,
    )


def test_broken_content_fails_with_path_line_and_leaves_site_untouched(project: Path) -> None:
    assert run_cli(project).returncode == 0
    before = tree_digest(project / "site")
    plan = project / "content" / "plans" / "keelung-tax-2023.zh-Hant.md"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("year: 112", "year: 一一二").replace("隨時辦理", "明年", 1),
                    encoding="utf-8")
    result = run_cli(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    year_line = text.splitlines().index("year: 112") + 1
    assert lines[0] == (f"content/plans/keelung-tax-2023.zh-Hant.md:{year_line}: 'year' must be a whole "
                        "number, not '一一二' — write digits only, e.g. 112; or 'year: standing' for a "
                        "regulation, which has no plan year")
    assert lines[1].startswith("content/plans/keelung-tax-2023.zh-Hant.md:")
    assert "unrecognised deadline '明年'" in lines[1]
    assert lines[-1] == "2 problems found; site was not changed."
    assert tree_digest(project / "site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("site")) == ["site", "site.yml"]


def test_a_failing_renderer_leaves_site_untouched(project: Path) -> None:
    assert run_cli(project).returncode == 0
    before = tree_digest(project / "site")
    template = project / "templates" / "plan.html"
    template.write_text(template.read_text(encoding="utf-8").replace("{{ plan.title }}</h1>",
                                                                     "{{ plan.no_such_field }}</h1>"))
    result = run_cli(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(i for i, text in enumerate(template.read_text().splitlines(), 1) if "no_such_field" in text)
    assert result.stderr.startswith(f"templates/plan.html:{line}: template error: ")
    assert "no_such_field" in result.stderr
    assert tree_digest(project / "site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("site")) == ["site", "site.yml"]


def test_invalid_configuration_is_reported_like_content(project: Path) -> None:
    config = project / "site.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("base_url:", "base_ulr:"), encoding="utf-8")
    result = run_cli(project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("site.yml:")
    assert "unknown key 'base_ulr' — did you mean 'base_url'?" in result.stderr
    assert not (project / "site").exists()


def test_a_build_killed_mid_swap_gets_the_previous_site_back(project: Path) -> None:
    assert run_cli(project).returncode == 0
    before = tree_digest(project / "site")
    kept = project / "site.old-killed"
    kept.mkdir()
    (project / "site").rename(kept / "site")  # as if killed between the two renames
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    plan.write_text("broken", encoding="utf-8")
    assert run_cli(project).returncode == 1
    assert tree_digest(project / "site") == before
    assert not kept.exists()


def pages_written(project: Path, cache: Path) -> bool:
    """A build is writing pages: its staging folder holds a plan's page."""
    return any(project.glob("site.tmp-*/plans/*/index.html"))


def documents_made(project: Path, cache: Path) -> bool:
    """A build is making its downloads: the first is in the cache, the others are on their way."""
    return any(path.suffix in (".pdf", ".odt") for path in (cache / "downloads").glob("*"))


@pytest.mark.parametrize(("options", "moment"), [(["--no-downloads"], pages_written), ([], documents_made)])
def test_a_build_killed_at_any_moment_loses_nothing(project: Path, tmp_path: Path, options, moment) -> None:
    """SIGKILL while pages are rendered and indexed (a build without downloads, as soon as it
    writes pages) and while the documents are being made (as soon as the first is, with no
    cached downloads): the published site stays exactly as it was, and the next build succeeds
    and publishes the change. The moment is the build's progress, not a time: a quicker build
    (2026-12-04: a five-plan build without downloads took under 1.2 s) must not escape."""
    assert run_cli(project).returncode == 0
    before = tree_digest(project / "site")
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8").replace("推動以民為本服務",
                                                             "推動以民為本服務（中斷測試）", 1),
                    encoding="utf-8")
    env = os.environ | {"PLANSITE_CACHE": str(tmp_path / "empty-cache")}
    build = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--project", str(project), *options],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    cache = tmp_path / "empty-cache"
    deadline = time.monotonic() + 300
    while not moment(project, cache) and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert build.poll() is None, "the build ended before it could be killed"
    os.killpg(build.pid, signal.SIGKILL)  # the build and its PDF workers, with no chance to tidy up
    build.wait()
    assert tree_digest(project / "site") == before
    done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project)],
                          check=False, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "（中斷測試）" in (project / "site" / "plans" / "mof-2017" / "index.html").read_text(
        encoding="utf-8")
    assert not list(project.glob("site.tmp-*")), "the killed build's half-written folder is left behind"


INPUTS = ["content/plans/mof-2017.zh-Hant.md", "content/plans/mof-2017.en.md", "content/glossary.yml",
          "content/frameworks.yml", "templates/plan.html", "templates/assets/site.css",
          "locales/en/LC_MESSAGES/messages.po", "site.yml", "site/index.html"]


@pytest.mark.parametrize("changed", INPUTS)
def test_a_build_with_nothing_changed_is_skipped_and_any_change_rebuilds(project: Path, changed: str) -> None:
    """The second of two identical builds does nothing; a change to any kind of input (or to
    the published site) makes the next build a real one."""
    site = project / "site"
    assert not build(project, site, downloads=False).unchanged
    before = tree_digest(site)
    assert build(project, site, downloads=False).unchanged
    path = project / changed
    original = path.read_bytes()
    path.write_bytes(original + b"\n" if not changed.startswith("site/") else b"<p>defaced</p>")
    assert not build(project, site, downloads=False).unchanged
    if changed.startswith("site/"):
        assert path.read_bytes() == original and tree_digest(site) == before


@pytest.mark.parametrize("changed", ["en/index.html", "en/plans", ""])  # '': the site's folder itself
def test_a_published_file_or_folder_made_unreadable_is_put_right_by_the_next_build(project: Path,
                                                                                   changed: str) -> None:
    """A page or folder of the site whose mode changed since it was published (chmod 600: the web
    server may no longer read it) makes the next build a real one, which publishes it readable
    again. Only its mode changes, not its size or time."""
    site = project / "site"
    build(project, site, downloads=False)
    path = site / changed
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod(0o700 if path.is_dir() else 0o600)
    assert not build(project, site, downloads=False).unchanged
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert build(project, site, downloads=False).unchanged


@pytest.mark.parametrize("where", ["", "build/"])
def test_other_sites_and_a_cache_in_the_project_are_not_its_inputs(project: Path, monkeypatch,
                                                                   where: str) -> None:
    """A second site built into the project (``--output preview``) and a cache kept there
    (``PLANSITE_CACHE``), at its top or deeper, are outputs: building one must not make the
    other's build do it all again. (The cache changes with every build, so hashing it made no
    build ever a no-op.) A mark copied into a folder of the user's, even one the build reads,
    hides nothing: only a site whose build the cache records is left out."""
    monkeypatch.setenv("PLANSITE_CACHE", str(project / where / "cache-here"))
    site = project / "site"
    assert not build(project, site, downloads=False).unchanged
    assert build(project, site, downloads=False).unchanged
    assert not build(project, project / where / "preview", downloads=False).unchanged
    assert build(project, site, downloads=False).unchanged
    for folder in ("notes", "templates"):  # the user's own folders are inputs, marked or not
        (project / folder).mkdir(exist_ok=True)
        shutil.copy(site / MARK, project / folder / MARK)
        build(project, site, downloads=False)
        (project / folder / "todo.txt").write_text("x", encoding="utf-8")
        assert not build(project, site, downloads=False).unchanged, folder


NO_OP = """
import sys
from plansite.cli import main
status = main(["--project", sys.argv[1], "--no-downloads"])
heavy = sorted(name for name in sys.modules
               if name.split(".")[0] in {"jinja2", "markdown_it", "yaml", "weasyprint"}
               or name in {"plansite.site", "plansite.content", "plansite.render_html"})
print(status, heavy)
"""


def test_a_build_with_nothing_to_do_answers_before_loading_the_renderers(project: Path) -> None:
    """The stamp is checked with the standard library alone: importing the parsers and
    renderers took most of a no-op build's time."""
    assert run_cli(project, "--no-downloads").returncode == 0
    again = subprocess.run([sys.executable, "-c", NO_OP, str(project)], cwd=PROJECT, check=True,
                           capture_output=True, text=True, timeout=120)
    assert "Nothing changed since the last build" in again.stdout
    assert again.stdout.splitlines()[-1] == "0 []"


def test_one_plan_changed_changes_only_what_shows_it(project: Path) -> None:
    """Editing one plan's text changes that plan's pages, data and downloads, its agency's
    units pages, the pages that list every plan or action (units, deadlines), and the search
    index; nothing else."""
    site = project / "site"
    build(project, site)
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    plan = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8").replace("具體規劃為民服務工作",
                                                             "具體規劃為民服務工作（改）", 1),
                    encoding="utf-8")
    build(project, site)
    after = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert {"plans/kaohsiung-finance-2024/index.html", "data/plans/kaohsiung-finance-2024.zh-Hant.json",
            "downloads/kaohsiung-finance-2024.zh-Hant.pdf"} <= changed
    agency = "units/finance-bureau-kaohsiung-city-government/index.html"  # the other agencies' pages stay
    listings = {"units/index.html", "deadlines/index.html", "data/plans.json", "data/index.html",
                "en/data/index.html", agency, f"en/{agency}"}
    unexpected = {path for path in changed if "kaohsiung-finance-2024" not in path and path not in listings
                  and not path.startswith("pagefind/") and path != FILES}  # the list names the index's files
    assert unexpected == set()


def test_a_project_inside_a_folder_named_like_an_ignored_one_still_sees_changes(tmp_path: Path) -> None:
    """Only the project's own tests/, docs/ … are left out of the input hash, not a parent
    folder that happens to share the name."""
    project = copy_project(tmp_path / "docs" / "tests" / "project", plans=["mof-2017"])
    site = project / "site"
    build(project, site, downloads=False)
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8").replace("推動以民為本服務", "推動以民為本之服務", 1),
                    encoding="utf-8")
    assert not build(project, site, downloads=False).unchanged


EDITS = {  # one visible change per kind of input: (file, text in it, replacement)
    "plan": ("content/plans/keelung-tax-2023.zh-Hant.md", "本局各科室。", "本局各科室及分局。"),
    "units": ("content/plans/keelung-tax-2023.zh-Hant.md", "承辦單位：財稅資訊科、各單位",
              "承辦單位：資訊科、各單位"),
    "translation": ("content/plans/keelung-tax-2023.en.md", "All sections and offices",
                    "Every section and office"),
    "glossary": ("content/glossary.yml", "en: Ministry of Finance", "en: Ministry of Finance (MOF)"),
    "frameworks": ("content/frameworks.yml", "en: Government Service Upgrade Program measures",
                   "en: Measures of the Government Service Upgrade Program"),
    "template": ("templates/plan.html", "{{ plan.title }}</h1>", "{{ plan.title }} </h1>"),
    "catalog": ("locales/zh_Hant_TW/LC_MESSAGES/messages.po", 'msgstr "完成期限"', 'msgstr "預定完成期限"'),
    # the words of the English plans' deadlines, which the completed English plans hold
    "deadline words": ("locales/en/LC_MESSAGES/messages.po", 'msgid "Ongoing"\nmsgstr "Ongoing"',
                       'msgid "Ongoing"\nmsgstr "Continuing"'),
    "settings": ("site.yml", "base_url: https://plans.example.org/", "base_url: https://plans.example.gov.tw/"),
}


@pytest.mark.parametrize("kind", EDITS)
def test_reused_outputs_are_never_stale(tmp_path: Path, kind: str, monkeypatch) -> None:
    """A rebuild reuses the outputs of plans whose inputs did not change; after a change to
    any kind of input it publishes exactly what a clean build of the same inputs publishes."""
    project = copy_project(tmp_path / "project", plans=["keelung-tax-2023", "mof-2017"])
    site = project / "site"
    build(project, site, downloads=False)
    before = tree_digest(site)
    name, old, new = EDITS[kind]
    path = project / name
    assert old in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    build(project, site, downloads=False)
    assert tree_digest(site) != before, "the edit must show somewhere, or this test proves nothing"
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "fresh-cache"))
    build(project, tmp_path / "clean", downloads=False)
    rebuilt = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    clean = {p.relative_to(tmp_path / "clean").as_posix(): p.read_bytes()
             for p in (tmp_path / "clean").rglob("*") if p.is_file()}
    assert rebuilt.keys() == clean.keys()
    assert [p for p in rebuilt if rebuilt[p] != clean[p]] == []


def test_translation_checks_are_redone_when_the_glossary_or_a_file_changes(tmp_path: Path) -> None:
    """A rebuild takes each pair's translation checks from the cache only while both files and
    the glossary are as they were: a new glossary term, or a new stale item, is reported."""
    project = copy_project(tmp_path / "project", plans=["keelung-tax-2023"])
    site = project / "site"

    def warnings() -> list[str]:
        return [w.message for w in build(project, site, downloads=False).warnings]

    first = warnings()
    glossary = project / "content" / "glossary.yml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "- zh: 網站\n  en: web portalx\n",
                        encoding="utf-8")
    missed = [w for w in warnings() if w not in first]
    assert missed and all("'網站'" in w and "web portalx" in w for w in missed)
    plan = project / "content" / "plans" / "keelung-tax-2023.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8").replace("本局各科室。", "本局各科室及分局。", 1),
                    encoding="utf-8")
    assert any("was reviewed against an older Chinese text" in w for w in warnings())


def test_cache_pruning_removes_what_no_build_uses_but_not_another_builds_entry(tmp_path: Path) -> None:
    """Entries this build did not use go, and so do the half-written ones of killed builds; an
    entry another build is writing right now (its process runs) stays, or its rename would fail."""
    from plansite.publish import prune

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    names = ["used.pdf", "old.pdf", "notes.txt", f"new.pdf.tmp-{dead}", f"new.pdf.tmp-{os.getpid()}"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    prune(tmp_path, (".odt", ".pdf"), {"used.pdf"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["used.pdf", "notes.txt",
                                                                 f"new.pdf.tmp-{os.getpid()}"])
    # the search index's entries are folders, written by threads: NAME.tmp-PID-THREAD
    shards = tmp_path / "shards"
    for name in ["used", "old", f"new.tmp-{dead}-1", f"new.tmp-{os.getpid()}-1"]:
        (shards / name).mkdir(parents=True)
        (shards / name / "pagefind-entry.json").write_bytes(b"{}")
    prune(shards, ("",), {"used"})
    assert sorted(p.name for p in shards.iterdir()) == sorted(["used", f"new.tmp-{os.getpid()}-1"])


def test_no_page_counts_zero_actions(site: Path) -> None:
    """'0 actions' tells a reader nothing: a group of text only and an agency whose plan has no
    table of actions say so in words."""
    said = [(path.relative_to(site).as_posix(), text) for path in sorted(site.rglob("*.html"))
            for text in re.findall(r"(?<![\d.,])0 (?:項作法|actions?)\b|(?<![\d.,])0 項作法",
                                   parse(path).text_content())]
    assert said == []


def test_a_build_of_a_project_in_git_reads_its_history_once(tmp_path: Path, monkeypatch) -> None:
    """The dates the pages show come from the commits. The stamp hashes them and the pages show
    them: read twice, a commit made in between would put dates the stamp never saw on the
    pages, and at a thousand plans each reading costs. A ``git`` ahead on the PATH notes each
    run and hands it to the real one."""
    project = copy_project(tmp_path / "project", ["mof-2017"])
    environment = {"GIT_COMMITTER_DATE": "2024-05-06T12:00:00+00:00", "PATH": os.environ["PATH"]}
    for command in (["init", "-q"], ["add", "."],
                    ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "plans"]):
        subprocess.run(["git", *command], cwd=project, check=True, env=environment)
    noting = tmp_path / "bin"
    noting.mkdir()
    runs, git = tmp_path / "runs", shutil.which("git")
    (noting / "git").write_text(f'#!/bin/sh\necho "$1" >> {runs}\nexec {git} "$@"\n')
    (noting / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{noting}{os.pathsep}{os.environ['PATH']}")
    build(project, tmp_path / "site", downloads=False)
    assert runs.read_text().split() == ["log"]
    assert "2024-05-06" in (tmp_path / "site" / "plans" / "mof-2017" / "index.html").read_text("utf-8")


def test_hidden_files_beside_the_templates_and_catalogs_are_neither_read_nor_published(
        tmp_path: Path) -> None:
    """Emacs keeps a dangling link '.#base.html' beside a template with unsaved changes, and
    macOS writes .DS_Store and '._site.css': the build refused the first (a link to a file that
    does not exist) and published the others into site/assets/."""
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    (project / "templates" / ".#base.html").symlink_to("root@host.1234:1700000000")
    (project / "locales" / ".#messages.po").symlink_to("root@host.1234:1700000000")
    (project / "templates" / "assets" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (project / "templates" / "assets" / "._site.css").write_bytes(b"\x00\x05\x16\x07")
    build(project, project / "site", downloads=False)
    assert sorted(p.name for p in (project / "site" / "assets").iterdir() if p.name.startswith(".")) == []
