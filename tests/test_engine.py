"""The one engine behind ``build`` and ``serve``: whatever a preview is given to do, the folder
it serves ends, once saves stop, exactly as a clean build of the same sources."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from plansite.errors import ContentError
from plansite.publish import FILES, MARK, sync
from plansite.serve import Preview
from plansite.site import build

from .attached import pdf_bytes
from .conftest import copy_project

PLANS = ["mof-2017", "kaohsiung-finance-2024"]
KAOHSIUNG = Path("content/plans/kaohsiung-finance-2024.zh-Hant.md")
MOF = Path("content/plans/mof-2017.zh-Hant.md")


def replace(project: Path, path: Path | str, old: str, new: str) -> None:
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def longer_action(project: Path) -> set[Path]:
    replace(project, KAOHSIUNG, "預計完成時間。", "預計完成時間，並於網站公告。")
    return {KAOHSIUNG}


def prose(project: Path) -> set[Path]:
    """Text outside the action tables: the pages about all plans do not show it."""
    replace(project, KAOHSIUNG, "本局各科室。", "本局各科室及所屬單位。")
    return {KAOHSIUNG}


def new_title(project: Path) -> set[Path]:
    replace(project, MOF, "title: 財政部提升服務實施計畫", "title: 財政部提升服務品質實施計畫")
    return {MOF}


def append(project: Path, path: Path, text: str) -> set[Path]:
    file = project / path
    assert text not in file.read_text(encoding="utf-8"), (path, text)
    with file.open("a", encoding="utf-8") as out:
        out.write(text)
    return {path}


def glossary_term(project: Path) -> set[Path]:
    return append(project, Path("content/glossary.yml"), "- zh: 案件處理\n  en: case handling\n")


def template_text(project: Path) -> set[Path]:
    path = Path("templates/base.html")
    replace(project, path, "</footer>", "<p>Preview test</p></footer>")
    return {path}


def block_markup(project: Path) -> set[Path]:
    """A macro an action's text is rendered by (render_html's ``once`` keeps what it made)."""
    path = Path("templates/_blocks.html")
    replace(project, path, "<p>{{ block.inlines|inlines }}</p>",
            '<p class="ps-text">{{ block.inlines|inlines }}</p>')
    return {path}


def catalog_words(project: Path) -> set[Path]:
    path = Path("locales/en/LC_MESSAGES/messages.po")
    replace(project, path, 'msgid "Deadlines"\nmsgstr "Deadlines"', 'msgid "Deadlines"\nmsgstr "Due dates"')
    return {path}


def site_name(project: Path) -> set[Path]:
    replace(project, "site.yml", "en: Service Quality Improvement Plans", "en: Service Plans")
    return {Path("site.yml")}


def stylesheet(project: Path) -> set[Path]:
    return append(project, Path("templates/assets/site.css"), "\n/* preview test */\n")


def plan_removed(project: Path) -> set[Path]:
    gone = {path.relative_to(project) for path in (project / "content" / "plans").glob("mof-2017.*.md")}
    for path in gone:
        (project / path).unlink()
    return gone


def translation_removed(project: Path) -> set[Path]:
    path = Path("content/plans/kaohsiung-finance-2024.en.md")
    (project / path).unlink()
    return {path}


KAOHSIUNG_FILES = Path("content/plans/kaohsiung-finance-2024")


def attachment_added(project: Path) -> set[Path]:
    assert not (project / KAOHSIUNG_FILES).exists()
    entry = "attachments:\n  - title: 附件一 申請表\n    file: form.pdf\n"
    replace(project, KAOHSIUNG, "framework:\n", entry + "framework:\n")
    (project / KAOHSIUNG_FILES).mkdir()
    (project / KAOHSIUNG_FILES / "form.pdf").write_bytes(pdf_bytes())
    return {KAOHSIUNG, KAOHSIUNG_FILES / "form.pdf"}


def attachment_edited(project: Path) -> set[Path]:
    """The attached file alone changes (its plan file does not)."""
    file = project / KAOHSIUNG_FILES / "form.pdf"
    file.write_bytes(file.read_bytes() + b"% edited\n")  # raises FileNotFoundError before it is attached
    return {KAOHSIUNG_FILES / "form.pdf"}


EDITS = [longer_action, prose, new_title, glossary_term, template_text, block_markup, catalog_words,
         site_name, stylesheet, plan_removed, translation_removed, attachment_added, attachment_edited]
"""Each edit makes one change (a second time, it is a file removed again or text no longer
found: then it is skipped) and returns the files it touched, as the watcher reports them."""


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def differences(live: Path, clean: Path) -> list[str]:
    a, b = files(live), files(clean)
    return sorted(path for path in a.keys() | b.keys() if a.get(path) != b.get(path))


def clean_build(project: Path, folder: Path, downloads: bool) -> list[str] | None:
    """A build of the project's sources into a new folder: None, or its problems. It runs in a
    new interpreter: a build in this process would share what the preview's process keeps
    between renders (the template environments and what they made), and so its mistakes."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        return fresh.submit(build_into, project, folder, downloads).result()


def assert_site_is_a_clean_builds(project: Path, tmp_path: Path, monkeypatch) -> None:
    """The project's site/ (built with the cache) is what a build with an empty cache makes;
    PLANSITE_CACHE is left pointing at that empty cache's folder."""
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "clean-cache"))
    assert clean_build(project, tmp_path / "clean", downloads=False) is None
    assert differences(project / "site", tmp_path / "clean") == []


def build_into(project: Path, folder: Path, downloads: bool) -> list[str] | None:
    shutil.rmtree(folder, ignore_errors=True)
    try:
        build(project, folder, downloads=downloads)
    except ContentError as error:
        return [str(p) for p in error.problems]
    return None


def settle(preview: Preview, project: Path, touched: set[Path]) -> None:
    """What the watcher does after a save, and what follows once saves stop."""
    preview.saves += 1
    if preview.rebuild({project / path for path in touched}):
        assert preview.catch_up()


def assert_same_as_a_clean_build(preview: Preview, project: Path, folder: Path, downloads: bool,
                                 broken: bool = False) -> None:
    problems = clean_build(project, folder, downloads)
    assert (problems is not None) == broken, problems
    if problems is not None:  # the build fails: the preview shows its very problems
        assert [str(p) for p in preview.problems] == problems
        return
    assert preview.problems == []
    assert differences(preview.site, folder) == []


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck),
          phases=(Phase.explicit, Phase.generate))  # a shrunk example costs a clean build per step
@given(st.lists(st.sampled_from(EDITS), min_size=2, max_size=4), st.booleans())
@example(edits=[new_title, plan_removed], broken_between=False)  # pages of a plan no longer there go
@example(edits=[glossary_term, translation_removed, stylesheet], broken_between=True)
@example(edits=[attachment_added, attachment_edited], broken_between=False)  # a file attached, then edited
@example(edits=[longer_action, block_markup], broken_between=False)  # action text made again: a changed macro
@example(edits=[prose, longer_action], broken_between=False)  # the pages about all plans kept, then remade
def test_after_any_edits_the_preview_serves_what_a_clean_build_gives(edits, broken_between) -> None:
    """Random sequences of edits to plans, glossary, templates, catalogs, site.yml and assets,
    plans removed, a file attached and edited, and a broken plan file and its fix; after each, once
    saves stop, the live folder is byte for byte a clean build's (search index included)."""
    with tempfile.TemporaryDirectory(prefix="plansite-engine-") as scratch:
        scratch = Path(scratch)
        project = copy_project(scratch / "project", plans=PLANS)
        os.environ["PLANSITE_CACHE"] = str(scratch / "cache")
        try:
            preview = Preview(project, project / "site", downloads=False)
            preview.start()
            for number, edit in enumerate(edits):
                try:
                    touched = edit(project)
                except (AssertionError, FileNotFoundError, IndexError):
                    continue  # made already
                if not any((project / "content/plans").glob("*.zh-Hant.md")):
                    break
                settle(preview, project, touched)
                assert_same_as_a_clean_build(preview, project, scratch / f"clean-{number}", downloads=False)
                if broken_between and (project / KAOHSIUNG).exists():
                    text = (project / KAOHSIUNG).read_text(encoding="utf-8")
                    broken = text.replace("year: 113", "year: 一一三")
                    (project / KAOHSIUNG).write_text(broken, encoding="utf-8")
                    settle(preview, project, {KAOHSIUNG})
                    assert any("'year' must be a whole number" in str(p) for p in preview.problems)
                    assert_same_as_a_clean_build(preview, project, scratch / f"broken-{number}",
                                                 downloads=False, broken=True)
                    (project / KAOHSIUNG).write_text(text, encoding="utf-8")
                    settle(preview, project, {KAOHSIUNG})
                    assert_same_as_a_clean_build(preview, project, scratch / f"fixed-{number}",
                                                 downloads=False)
        finally:
            del os.environ["PLANSITE_CACHE"]


def test_the_pages_state_the_sizes_of_the_downloads_remade_after_a_save(tmp_path: Path) -> None:
    """A save shows its plan's page at once, with the sizes of the downloads as they were; the
    update that follows remakes the PDF and ODT and renders that page again with their new
    sizes (it once kept the old ones until the next save)."""
    project = copy_project(tmp_path / "project", plans=["kaohsiung-finance-2024"])
    preview = Preview(project, project / "site")
    preview.start()
    page = project / "site" / "plans" / "kaohsiung-finance-2024" / "index.html"
    pdf = project / "site" / "downloads" / "kaohsiung-finance-2024.zh-Hant.pdf"
    before = pdf.stat().st_size
    replace(project, KAOHSIUNG, "預計完成時間。", "預計完成時間。" + "為民服務品質持續提升，" * 60)
    preview.saves += 1
    assert preview.rebuild({project / KAOHSIUNG})
    assert "plans/kaohsiung-finance-2024/index.html" in preview.written
    quick = page.read_bytes()
    assert preview.catch_up()
    assert pdf.stat().st_size != before
    assert_same_as_a_clean_build(preview, project, tmp_path / "clean", downloads=True)  # the page with it
    clean = tmp_path / "clean" / "plans" / "kaohsiung-finance-2024" / "index.html"
    assert clean.read_bytes() != quick  # the page the save showed at once stated the old sizes


def test_sync_leaves_the_live_folder_holding_exactly_the_staged_files(tmp_path: Path) -> None:
    live, stage = tmp_path / "site", tmp_path / "stage"
    for folder, tree in ((live, {"a.html": "old", "gone/b.html": "b", "same.css": "x", MARK: "mark"}),
                         (stage, {"a.html": "new", "same.css": "x", "new/c.html": "c",
                                  ".plansite-unfinished": ""})):
        for name, text in tree.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    same = (live / "same.css").stat().st_ino
    assert sorted(sync(stage, live)) == ["a.html", "new/c.html"]
    assert files(live) == {"a.html": b"new", "same.css": b"x", "new/c.html": b"c", MARK: b"mark"}
    assert not (live / "gone").exists()
    assert (live / "same.css").stat().st_ino == same  # an unchanged file is left as it is


@pytest.mark.parametrize("edit", [longer_action, template_text])
def test_a_quick_update_writes_only_what_the_save_changed(tmp_path: Path, edit) -> None:
    project = copy_project(tmp_path / "project", plans=PLANS)
    preview = Preview(project, project / "site", downloads=False)
    preview.start()
    touched = edit(project)
    assert preview.rebuild({project / path for path in touched})
    if edit is longer_action:
        assert preview.written and all("kaohsiung" in path for path in preview.written), preview.written
    else:
        assert any("mof-2017" in path for path in preview.written)


def test_a_build_after_the_preview_caught_up_has_nothing_to_do(tmp_path: Path) -> None:
    """The preview records what it published as a build does: its site is a build's."""
    project = copy_project(tmp_path / "project", plans=PLANS)
    preview = Preview(project, project / "site", downloads=False)
    preview.start()
    settle(preview, project, new_title(project))
    result = build(project, project / "site", downloads=False)
    assert result.unchanged


def test_a_build_after_a_preview_stopped_before_it_caught_up_takes_its_pages_for_plansites(
        tmp_path: Path) -> None:
    """A page the preview wrote at once after a save (a new plan's) is plansite's: a build after
    the preview was stopped before it caught up replaces it, and does not refuse it as a file
    put into the site by hand."""
    project = copy_project(tmp_path / "project", plans=PLANS)
    preview = Preview(project, project / "site", downloads=False)
    preview.start()
    plans = project / "content" / "plans"
    for source in plans.glob("mof-2017.*.md"):
        text = source.read_text(encoding="utf-8").replace("id: mof-2017", "id: mof-2017-copy", 1)
        (plans / source.name.replace("mof-2017", "mof-2017-copy")).write_text(text, encoding="utf-8")
    assert preview.rebuild(set(plans.glob("mof-2017-copy.*.md")))
    assert "plans/mof-2017-copy/index.html" in preview.written
    result = build(project, project / "site", downloads=False)
    assert not result.unchanged and (project / "site" / "plans" / "mof-2017-copy" / "index.html").is_file()


def test_the_preview_never_deletes_a_file_put_into_its_folder_by_hand(tmp_path: Path) -> None:
    """The preview makes its folder hold the files of each update, removing the others: a file
    put there by hand while it ran (a search engine's verification file) was deleted too. Only
    files plansite listed as its own are removed; the next build names the other."""
    live, stage = tmp_path / "site", tmp_path / "stage"
    for folder, names in ((live, ["a.html", "gone.html", "plans/old/index.html"]), (stage, ["a.html"])):
        for name in names:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(f"{folder.name} {name}")
        (folder / FILES).write_text("".join(f"{name}\n" for name in names))
    (live / MARK).write_text("mark")
    (live / "google1234.html").write_text("google-site-verification")
    (live / "plans" / "old" / "notes.txt").write_text("mine")
    sync(stage, live)
    assert files(live) == {"a.html": b"stage a.html", FILES: b"a.html\n", MARK: b"mark",
                           "google1234.html": b"google-site-verification", "plans/old/notes.txt": b"mine"}


def test_a_save_undone_before_the_update_is_undone_in_the_served_folder(tmp_path: Path) -> None:
    """An edit shown at once and then undone: the plan's files are those of the sources as
    they are, not as the quick update left them (its sources' key is the published one again)."""
    project = copy_project(tmp_path / "project", plans=PLANS)
    preview = Preview(project, project / "site", downloads=False)
    preview.start()
    text = (project / KAOHSIUNG).read_text(encoding="utf-8")
    longer_action(project)
    assert preview.rebuild({project / KAOHSIUNG}) and preview.written
    (project / KAOHSIUNG).write_text(text, encoding="utf-8")
    preview.saves += 1
    assert preview.rebuild({project / KAOHSIUNG}) and preview.written
    assert preview.catch_up()
    assert_same_as_a_clean_build(preview, project, tmp_path / "clean", downloads=False)


def test_the_pages_about_all_plans_are_remade_only_when_what_they_show_changed(tmp_path: Path) -> None:
    """Their key is every plan's listing summary: an edit to a section's text keeps them (at a
    thousand plans they are most of an update), an edit to an action remakes them."""
    project = copy_project(tmp_path / "project", plans=PLANS)
    preview = Preview(project, project / "site", downloads=False)
    preview.start()

    def keys() -> dict[str, str]:
        return {name: key for name, (key, _) in preview.engine.published.items()
                if name.startswith("pages about all plans/")}

    before = keys()
    assert sorted(before) == ["pages about all plans/en", "pages about all plans/zh-Hant-TW"]
    settle(preview, project, prose(project))
    assert keys() == before
    settle(preview, project, longer_action(project))
    after = keys()
    assert sorted(after) == sorted(before) and not set(after.values()) & set(before.values())
    assert_same_as_a_clean_build(preview, project, tmp_path / "clean", downloads=False)


def test_a_rebuild_summarises_only_the_plans_that_changed(tmp_path: Path, monkeypatch) -> None:
    """Listing summaries are kept in the cache by what each edition is made from: a build after
    one plan changed summarises that plan alone, and its pages about all plans are those of a
    clean build (a summary served from the cache for a changed plan would leave them stale)."""
    import plansite.outputs

    project = copy_project(tmp_path / "project", plans=PLANS)
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    build(project, project / "site", downloads=False)
    summarised: list[str] = []
    summary = plansite.outputs.listing_summary

    def counted(edition):
        summarised.append(edition.zh.id)
        return summary(edition)

    monkeypatch.setattr(plansite.outputs, "listing_summary", counted)
    longer_action(project)
    build(project, project / "site", downloads=False)
    assert summarised == ["kaohsiung-finance-2024"]
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


def test_a_rebuild_completes_only_the_english_plans_whose_sources_changed(
    tmp_path: Path, monkeypatch
) -> None:
    """Completed English plans, their translation status and warnings are kept in the cache by
    what each edition is made from (completing a thousand again took 3 s of a one-plan
    rebuild): a build after one plan changed completes that plan alone and publishes what a
    clean build does; a glossary change completes every plan again, with its new warnings."""
    import plansite.translation

    project = copy_project(tmp_path / "project", plans=PLANS)
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    build(project, project / "site", downloads=False)
    completed: list[str] = []
    complete = plansite.translation.complete

    def counted(zh, en, project):
        completed.append(zh.id)
        return complete(zh, en, project)

    monkeypatch.setattr(plansite.translation, "complete", counted)
    longer_action(project)
    build(project, project / "site", downloads=False)
    assert completed == ["kaohsiung-finance-2024"]
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    completed.clear()
    append(project, Path("content/glossary.yml"), "- zh: 預計完成時間\n  en: expected date of completion\n")
    result = build(project, project / "site", downloads=False)
    assert sorted(completed) == sorted(PLANS)
    assert any("expected date of completion" in w.message for w in result.warnings), result.warnings


def test_a_rebuild_reads_the_sections_of_the_changed_plan_alone(tmp_path: Path, monkeypatch) -> None:
    """Plans come from the cache with their sections still pickled, and the build's own
    process reads them only for the plans that changed (unpickling a thousand plans' sections
    was most of a one-plan rebuild's loading): the catalogue, the site's list of units pages and
    the keys of the pages about all plans ask nothing of the others. The site is a clean
    build's."""
    from plansite import model as m

    project = copy_project(tmp_path / "project", plans=PLANS)
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    build(project, project / "site", downloads=False)
    replace(project, KAOHSIUNG, "具體規劃為民服務工作", "具體規劃為民服務之工作")
    result = build(project, project / "site", downloads=False)
    read = sorted(plan.loc.path for edition in result.editions for plan in (edition.zh, edition.en)
                  if plan is not None and m.packed(plan) is None)
    assert read == ["content/plans/kaohsiung-finance-2024.en.md", KAOHSIUNG.as_posix()]
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


def test_cached_plans_damaged_inside_are_made_again(tmp_path: Path, monkeypatch) -> None:
    """Bytes damaged in the middle of a cached plan or completed English plan may still unpickle:
    a plan's sections are unpickled only when read, while the site is rendered, too late to make
    the entry again (that was a traceback on every build). Each pickled entry carries its
    checksum, so the damaged ones are made again and the site is a clean build's."""
    project = copy_project(tmp_path / "project", plans=PLANS)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PLANSITE_CACHE", str(cache))
    build(project, project / "site", downloads=False)
    damaged = [entry for part in ("plans", "editions") for entry in (cache / part).glob("*.pickle")
               if not entry.name.startswith("font-")]
    assert len(damaged) == 6
    for entry in damaged:
        data = bytearray(entry.read_bytes())
        data[len(data) // 2:len(data) // 2 + 10] = b"\xff" * 10
        entry.write_bytes(bytes(data))
    append(project, Path("templates/base.html"), "{# every page is made again #}\n")
    build(project, project / "site", downloads=False)
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


def test_templates_compiled_by_an_earlier_build_follow_every_edit(tmp_path: Path, monkeypatch) -> None:
    """Jinja's compiled templates are kept in the cache for the next build's processes, in a
    folder named by plansite's fingerprint (an older one is removed); an edited template is
    compiled again, so the site is a clean build's."""
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    cache = tmp_path / "cache"
    monkeypatch.setenv("PLANSITE_CACHE", str(cache))
    (cache / "templates" / ("0" * 24)).mkdir(parents=True)  # an older plansite's
    build(project, project / "site", downloads=False)
    [folder] = (cache / "templates").iterdir()
    assert folder.name != "0" * 24 and len(list(folder.iterdir())) >= 5
    replace(project, "templates/base.html", "</footer>", "<p>（頁尾新增）</p></footer>")
    build(project, project / "site", downloads=False)
    assert "（頁尾新增）" in (project / "site" / "index.html").read_text(encoding="utf-8")
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


@pytest.mark.parametrize("moved", ["aside", "behind a linked folder"])
def test_cached_english_plans_follow_the_catalog_the_build_reads(tmp_path: Path, monkeypatch,
                                                                  moved: str) -> None:
    """The English deadlines' words come from locales/en's catalog. The editions' key took the
    .po files found under locales/: a catalog moved aside (no longer read) still counted, and
    one behind a linked folder (read) never did; either way a rebuild kept English plans
    worded by a catalog no longer in use. It publishes what a clean build does."""
    project = copy_project(tmp_path / "project", plans=["keelung-tax-2023"])
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    if moved == "behind a linked folder":
        (project / "locales" / "en").rename(project / "shared-en")
        (project / "locales" / "en").symlink_to("../shared-en")
    catalog = project / "locales" / "en" / "LC_MESSAGES" / "messages.po"
    replace(project, catalog, 'msgstr "Ongoing"', 'msgstr "Continuing"')
    build(project, project / "site", downloads=False)
    page = project / "site" / "en" / "plans" / "keelung-tax-2023" / "index.html"
    assert "Continuing" in page.read_text(encoding="utf-8")
    if moved == "aside":
        catalog.rename(catalog.with_name("aside.po"))
    else:
        replace(project, catalog, 'msgstr "Continuing"', 'msgstr "Ongoing"')
    build(project, project / "site", downloads=False)
    assert "Continuing" not in page.read_text(encoding="utf-8")
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


def test_a_cached_english_plan_of_another_shape_is_made_again(tmp_path: Path, monkeypatch) -> None:
    """A damaged cache entry that unpickles to something else (None) stopped the build with a
    traceback: it is made again, as an entry that cannot be read is."""
    import pickle

    project = copy_project(tmp_path / "project", plans=PLANS)
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    build(project, project / "site", downloads=False)
    entries = sorted((tmp_path / "cache" / "editions").glob("*.pickle"))
    assert len(entries) == len(PLANS)
    for entry in entries:
        entry.write_bytes(pickle.dumps(None))
    longer_action(project)
    build(project, project / "site", downloads=False)
    assert_site_is_a_clean_builds(project, tmp_path, monkeypatch)


def test_a_rebuild_keeps_the_checks_of_the_plans_it_did_not_check_again(tmp_path: Path, monkeypatch) -> None:
    """A rebuild takes an unchanged plan's English edition from the cache without reading its
    translation's checks; they hold still, so they are kept (after a first build, removing a
    thousand took 0.3 s of the next one, and a change to the catalogs, which makes the
    editions again, would then check every translation again)."""
    project = copy_project(tmp_path / "project")
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    checks = tmp_path / "cache" / "checks"
    build(project, project / "site", downloads=False)
    before = set(os.listdir(checks))
    replace(project, "content/plans/keelung-tax-2023.zh-Hant.md", "本局", "本稅務局")
    build(project, project / "site", downloads=False)
    after = set(os.listdir(checks))
    assert len(before) >= 5
    assert 1 <= len(before - after) == len(after - before) <= 2, "the changed plan's pair and mapping only"


def test_an_input_saved_during_a_build_and_put_back_leaves_nothing_of_it(tmp_path: Path) -> None:
    """A template saved while a build rendered with it, then put back (an undo): the build's
    pages hold the saved text. The next build was real (the stamp said so) but reused those
    pages under keys made from the template as hashed before the save, and then said nothing
    changed: pages with text no source held, for good. The next build now makes every page
    again, and the downloads are looked up by what they are made from, not by the inputs' hash."""
    from plansite.publish import Stamp, prepare_output

    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    site = prepare_output(project, project / "site")
    build(project, site)
    replace(project, "templates/print.css", "}", "}\n")  # a real build follows
    stamp = Stamp(project, site, False, True)  # the inputs hashed …
    template = project / "templates" / "base.html"
    original, before = template.read_text(encoding="utf-8"), template.stat()
    replace(project, template, "<main", "<p>DRAFT BANNER</p><main")  # … then a save during the build
    build(project, site, stamp=stamp)
    assert b"DRAFT BANNER" in (site / "index.html").read_bytes()
    template.write_text(original, encoding="utf-8")  # and its undo, its time put back too (git, cp -p)
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not build(project, site).unchanged
    assert build(project, site).unchanged
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns("site", ".cache"))
    build(clean, clean / "site")
    assert files(site) == files(clean / "site")


def test_files_in_folders_named_like_the_projects_own_are_watched(tmp_path: Path) -> None:
    """docs/, tests/, bench/ … are left out of the project's hash at its top; one inside
    templates/assets/ (or a plan's attachments in content/plans/docs/) was left out too, so an
    edit to it said nothing changed and the old file stayed published."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    extra = project / "templates" / "assets" / "docs" / "extra.css"
    extra.parent.mkdir()
    extra.write_text("a { color: black }\n", encoding="utf-8")
    build(project, project / "site", downloads=False)
    extra.write_text("a { color: navy }\n", encoding="utf-8")
    assert not build(project, project / "site", downloads=False).unchanged
    published = project / "site" / "assets" / "docs" / "extra.css"
    assert published.read_text(encoding="utf-8") == "a { color: navy }\n"


def test_a_plan_title_holding_location_is_followed_by_the_pages_about_all_plans(tmp_path: Path) -> None:
    """The pages about all plans are keyed by each plan's summary, with the lines things stand
    on taken out of it; that took out any text written like 'Location(1F)' too, so an edit
    inside it left the home page and feeds as they were."""
    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    path = project / "content" / "plans" / "ntbt-2016.en.md"
    title = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("title: "))
    replace(project, path, title, f"{title} Location(1F)")
    build(project, project / "site", downloads=False)
    replace(project, path, "Location(1F)", "Location(2F)")
    build(project, project / "site", downloads=False)
    assert "Location(2F)" in (project / "site" / "en" / "index.html").read_text(encoding="utf-8")


def test_in_git_an_untracked_plans_file_time_is_watched(tmp_path: Path) -> None:
    """In a git project the pages show each file's last commit date, and a file git does not
    track its file time; that time was hashed for no file, so a new plan saved again on
    another day kept its old date on every page."""
    import subprocess

    project = copy_project(tmp_path / "project", plans=["ntbt-2016"])
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "plans"], check=True)
    other = copy_project(tmp_path / "other", plans=["mof-2017"]) / "content" / "plans" / "mof-2017.zh-Hant.md"
    new = project / "content" / "plans" / other.name
    shutil.copy(other, new)
    build(project, project / "site", downloads=False)
    os.utime(new, (1_614_816_000, 1_614_816_000))  # 2021-03-04
    assert not build(project, project / "site", downloads=False).unchanged


def test_a_build_publishes_nothing_over_a_site_another_build_swapped_in_meanwhile(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    """Two builds into one output: the second links the pages it found unchanged by their
    paths, and once the first has swapped its site in those are the first's, made from other
    sources. It published them under its own keys, and the next build said nothing changed.
    It now publishes nothing and says to build again."""
    import plansite.site
    from plansite.errors import MachineError

    project = copy_project(tmp_path / "project", plans=["ntbt-2016", "mof-2017"])
    site = project / "site"
    build(project, site, downloads=False)
    replace(project, "content/plans/mof-2017.zh-Hant.md", "。", "。（修訂）")

    def another_build_swaps(stage: Path, *args, **kwargs) -> int:  # just before this one publishes
        other = tmp_path / "other"
        shutil.copytree(site, other, symlinks=True)
        shutil.rmtree(site)
        other.rename(site)
        return 0

    monkeypatch.setattr(plansite.site, "index_site", another_build_swaps)
    before = files(site)
    with pytest.raises(MachineError, match="another build published a site here while this one ran"):
        build(project, site, downloads=False)
    assert files(site) == before
