"""The command line: ``python build.py [build|status|reviewed] …``.

Commands are thin: they call the site and translation stages and turn problems into
``path:line`` lines on stderr and exit status 1. A traceback only ever means a bug in plansite.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import sys
import time
from pathlib import Path

from .errors import OS_FAULTS, ContentError, MachineError, Problem, machine_error, printable
from .project import PLANS_DIR
from .publish import Stamp, prepare_output, published_now, shown_path

PROJECT = Path(__file__).resolve().parent.parent
NAME_MAX = 255
"""The longest file name, in bytes, of the file systems a project lives on."""


def output_folder(given: str) -> Path:
    """``--output``'s folder. An empty one would be the current folder: `--output="$SITE"`
    with $SITE unset must not build into (and replace) wherever the user happens to be."""
    if not given.strip():
        raise argparse.ArgumentTypeError("it is empty — name the folder to write the site to")
    return Path(given)


def document_taken_for_an_option(words: list[str]) -> str | None:
    """The document an import names, when its name starts with '-': argparse takes it for an
    option and then says only that no document was given."""
    if "import" not in words:
        return None
    after = words[words.index("import") + 1:]
    for before, word in zip(["import", *after], after, strict=False):
        if word == "--":  # what follows is never an option
            return None
        if before != "--id" and word.startswith("-") and word not in ("-", "-h") and os.path.lexists(word):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python build.py",
        description="Build the plans in content/ into an accessible bilingual website in site/.",
    )
    parser.add_argument("--project", type=Path, default=PROJECT, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command")
    build_command = commands.add_parser("build", help="build the site (the default command)")
    check = commands.add_parser("check", help="build, then check every page (pa11y-ci, Taiwan 115.11, vnu, "
                                              "links)")
    check.add_argument("--no-build", action="store_true", help="check the site/ already built")
    preview = commands.add_parser("serve", help="build, serve the site with live reload, rebuild on every "
                                                "save")
    # checked by serve, so that a wrong port is one line and exit status 1, like a busy one
    preview.add_argument("--port", default="8000", help="the port (default 8000)")
    preview.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    status = commands.add_parser("status", help="print how current each plan's English translation is")
    reviewed = commands.add_parser(
        "reviewed", help="mark English translations as reviewed against the Chinese text as it is now")
    reviewed.add_argument("plan", help="the plan's id, e.g. keelung-tax-2023")
    reviewed.add_argument("ids", nargs="*", help="section, group or action ids (a section or group "
                          "includes everything in it)")
    reviewed.add_argument("--all", action="store_true", help="the whole plan")
    importing = commands.add_parser("import", help="write a draft plan file from the agency's own document "
                                                   "(.odt, or .docx through LibreOffice)")
    importing.add_argument("document", type=Path, help="the plan as an ODF text document or Word file")
    importing.add_argument("--id", dest="plan_id", help="the new plan's id (default: from the file name)")
    importing.add_argument("--force", action="store_true", help="replace a plan file that exists")
    # The build's options go before or after the command's name. A command's copy has no default
    # of its own: argparse would let it overwrite what was given before the name, so that
    # `--output elsewhere build` replaced site/ (and `--strict build` published despite warnings).
    # Every command accepts them, so that one it means nothing to is told so (below), wherever
    # it was put.
    options = {
        "--output": {"type": output_folder, "help": "where to write the site (default: site/)"},
        "--strict": {"action": "store_true",
                     "help": "treat warnings (stale or missing translations, glossary misses) as errors"},
        "--no-downloads": {"action": "store_true",
                           "help": "make no ODT or PDF (quick previews; a published site needs them)"},
    }
    takes = {None: tuple(options), "build": tuple(options), "check": tuple(options),
             "serve": ("--output", "--no-downloads")}  # the preview shows warnings, never refuses a page
    listed = {"build": tuple(options), "serve": ("--no-downloads",)}  # in the command's --help
    for flag, option in options.items():
        parser.add_argument(flag, **option)
    named = {"build": build_command, "check": check, "serve": preview, "status": status, "reviewed": reviewed,
             "import": importing}
    for name, command in named.items():
        for flag, option in options.items():
            shown_help = option["help"] if flag in listed.get(name, ()) else argparse.SUPPRESS
            command.add_argument(flag, **option | {"help": shown_help}, default=argparse.SUPPRESS)
    dashed = document_taken_for_an_option(sys.argv[1:] if argv is None else argv)
    if dashed:
        word = printable(dashed)
        parser.error(f"{word} is taken for an option — to import the file of that name, write ./{word} "
                     f"(or put -- before it)")
    args = parser.parse_args(argv)
    for flag in options:  # given before the name of a command it means nothing to: said, not ignored
        if getattr(args, flag[2:].replace("-", "_")) and flag not in takes.get(args.command, ()):
            users = ", ".join(name for name, flags in takes.items() if name and flag in flags)
            parser.error(f"{flag} means nothing to {args.command} — it is an option of {users}")
    if args.command == "check" and args.no_build:  # it builds nothing: the options of a build mean nothing
        for flag in ("--strict", "--no-downloads"):
            if getattr(args, flag[2:].replace("-", "_")):
                parser.error(f"{flag} means nothing to check --no-build, which builds nothing — leave it "
                             "out, or leave out --no-build")
    project = args.project.resolve()
    try:
        # a mistyped --project: nothing is made there, not even a cache (an import makes a project)
        if args.command != "import" and not project.is_dir():
            raise MachineError(args.project, "is not a folder", "give the project's folder (the one that "
                               "holds content/ and site.yml) with --project")
        if args.command == "check":
            output = args.output or project / "site"
            if not args.no_build and run_build(project, output, args.strict, not args.no_downloads) != 0:
                return 1
            return run_check(project, output)
        if args.command == "serve":
            from .serve import serve  # livereload and watchfiles load only for the preview

            # serve checks its flags first, then that the output is plansite's (prepare_output)
            return serve(project, args.output or project / "site", args.host, args.port,
                         not args.no_downloads)
        if args.command == "import":
            return run_import(project, args.document, args.plan_id, args.force)
        if args.command == "status":
            return run_status(project)
        if args.command == "reviewed":
            if not args.ids and not args.all:
                parser.error("name the ids to mark, or --all")
            return run_reviewed(project, args.plan, args.ids, args.all)
        return run_build(project, args.output or project / "site", args.strict, not args.no_downloads)
    except KeyboardInterrupt:  # Ctrl-C: the staging folder is gone, or left whole for the next build
        # to recover
        output = args_output(args, project)
        changed = published_now(output)
        tail = f"; {shown(output, project)}/ {'holds the new site' if changed else 'was not changed'}"
        print(f"Interrupted{tail if args.command in (None, 'build', 'check') else ''}.", file=sys.stderr)
        return 130
    except ContentError as error:
        report(error.problems, project, args)
        return 1
    except MachineError as error:
        print(f"{where(error.path, project)}: {error.message} — {error.hint}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a folder that may not be written, a file that may not be read
        known = machine_error(error)
        if known is None:
            raise
        print(f"{where(known.path, project)}: {known.message} — {known.hint}", file=sys.stderr)
        return 1


def run_build(project: Path, output: Path, strict: bool, downloads: bool = True) -> int:
    started = time.perf_counter()
    output = prepare_output(project, output)
    stamp = Stamp(project, output, strict, downloads)
    if stamp.unchanged():
        for warning in stamp.warnings():
            print(warning, file=sys.stderr)
        print(f"Nothing changed since the last build: {shown(output, project)}/ is up to date.")
        return 0
    from . import model as m
    from .site import build  # the renderers load only when there is something to build

    result = build(project, output, strict=strict, downloads=downloads, stamp=stamp)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    seconds = time.perf_counter() - started
    translated = sum(1 for e in result.editions if e.en)
    actions = sum(m.plan_actions(e.zh) for e in result.editions)
    summary = (f"Built {plural(len(result.editions), 'plan')} ({plural(actions, 'action')}, "
               f"{translated:,} in English) into {shown(output, project)}/: {plural(result.files, 'file')} "
               f"in {seconds:.1f} s.")
    if result.warnings:
        summary += f" {plural(len(result.warnings), 'warning')} (--strict refuses to publish with warnings)."
    print(summary)
    return 0


def run_check(project: Path, site: Path) -> int:
    from .check import ToolMissing, run_checks, write_reports  # the checkers load only when checking

    if not (site / "index.html").is_file():
        print(f"{shown(site, project)}/ has no site to check: run python build.py first", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        report = run_checks(project, site)
    except ToolMissing as missing:
        print(f"check: {missing}", file=sys.stderr)
        return 1
    page = write_reports(report, project / "reports")
    counts = report.counts()
    print(f"Checked {len(report.pages)} pages in {time.perf_counter() - started:.0f} s:")
    for name, count in counts.items():
        print(f"  {name:<7} {'ok' if count == 0 else plural(count, 'problem')}")
    for finding in report.findings:
        where = f" ({finding.element})" if finding.element else ""
        print(f"{finding.page}: [{finding.check} {finding.code}] {finding.message}{where}")
    print(f"{'Passed' if report.passed else 'Failed'}; report: {shown(page, project)}")
    return 0 if report.passed else 1


def run_status(project: Path) -> int:
    from .sources import load
    from .translation import status_table

    loaded = load(project)
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    print(status_table(loaded.editions))
    return 0


def run_reviewed(project: Path, plan_id: str, ids: list[str], everything: bool) -> int:
    from .sources import load
    from .translation import mark_reviewed

    loaded = load(project)
    edition = next((e for e in loaded.editions if e.zh.id == plan_id), None)
    if edition is None or edition.en is None:
        known = ", ".join(e.zh.id for e in loaded.editions if e.en) or "none"
        raise ContentError([Problem(f"{PLANS_DIR.as_posix()}/{plan_id}.en.md", 1,
                                    f"there is no English plan '{plan_id}'", f"translated plans: {known}")])
    marked = mark_reviewed(project / edition.en.loc.path, edition, ids, everything)
    print(f"{edition.en.loc.path}: marked {plural(len(marked), 'item')} as reviewed"
          + (f": {', '.join(marked)}" if marked else " (all were up to date)"))
    return 0


def run_import(project: Path, document: Path, plan_id: str | None, force: bool) -> int:
    from .importer import stopped_as_interrupt

    with stopped_as_interrupt():  # a kill or a closed terminal, as Ctrl-C, at any moment of it
        return import_plan(project, document, plan_id, force)


def import_plan(project: Path, document: Path, plan_id: str | None, force: bool) -> int:
    from .ids import ID
    from .importer import EXISTS, import_document, writable, write_new
    from .plan_file import read_plan_data

    if plan_id is None:
        plan_id = re.sub(r"[^a-z0-9]+", "-", document.name.split(".")[0].lower()).strip("-")
        if not ID.match(plan_id):
            raise MachineError(document, f"the file name gives no plan id ('{printable(document.stem)}')",
                               "give the plan's id with --id, e.g. --id keelung-tax-2024")
    elif not ID.match(plan_id):
        raise MachineError(printable(plan_id), "is not a valid plan id",
                           "use lower-case ASCII letters, digits and '-', starting with a letter")
    target = project / PLANS_DIR / f"{plan_id}.zh-Hant.md"
    if len(os.fsencode(target.name)) > NAME_MAX:  # the file system's "path too long" would blame the path
        raise MachineError(document, f"gives a plan id of {len(plan_id)} characters, too long for the plan's "
                           "file name", "give a shorter id with --id, e.g. --id keelung-tax-2024")
    shown_target = where(str(target), project)  # the plan file itself, not where a link there leads
    if target.is_dir() and not target.is_symlink():  # even with --force: a folder is never replaced
        raise MachineError(target, *OS_FAULTS[errno.EISDIR])
    if os.path.lexists(target) and not force:  # a link leading nowhere is a file of the user's too
        raise MachineError(target, "exists already", EXISTS)
    writable(target.parent)  # before a conversion that may take minutes
    imported = import_document(document, plan_id)
    write_new(target, imported.text, replace=force)
    for line, message in imported.notes:
        print(f"{shown_target}:{line}: {printable(message)}")  # messages quote the document's text
    _, problems = read_plan_data(imported.text.encode(), target.name, shown_target)
    for problem in problems:
        print(problem)
    print(f"Wrote {shown_target}: {plural(imported.actions, 'action')}; "
          f"{plural(len(imported.notes), 'place')} to check"
          + (f", {plural(len(problems), 'problem')} the build will name" if problems else "")
          + ". Fill in what it asks, then run python build.py.")
    return 0


def report(problems: list[Problem], project: Path, args) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    unchanged = shown(args_output(args, project), project)
    tail = f"; {unchanged} was not changed." if args.command in (None, "build") else "."
    print(f"{plural(len(problems), 'problem')} found{tail}", file=sys.stderr)


def args_output(args, project: Path) -> Path:
    return getattr(args, "output", None) or project / "site"


def plural(count: int, word: str) -> str:
    """'1 plan', '80,903 actions'."""
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def where(path: str, project: Path) -> str:
    """The path an error names, as the user should read it: as they gave it when relative,
    relative to the project when inside it; a folder ends in '/'."""
    text = path
    if Path(path).is_absolute():  # as named, not where its symbolic links lead
        with contextlib.suppress(ValueError):
            text = Path(os.path.normpath(path)).relative_to(project).as_posix()
    text = shown_path(path if text == "." else text)  # the project itself; a name need not be UTF-8
    return text + "/" if os.path.isdir(path) and not text.endswith("/") else text


def shown(path: Path, project: Path) -> str:
    """A path as the user should read it: relative to the project when inside it, and with
    anything that could act on a terminal escaped (a flag may hold any character or byte)."""
    try:
        return shown_path(path.resolve().relative_to(project).as_posix())
    except ValueError:
        return shown_path(path)


