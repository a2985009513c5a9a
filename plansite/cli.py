"""The command line: ``python build.py [build] [--output DIR]``.

Commands are thin: they call the site stage and turn problems into ``path:line`` lines on
stderr and exit status 1. A traceback only ever means a bug in plansite.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import jinja2

from .errors import ContentError
from .site import build

PROJECT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python build.py",
        description="Build the plans in content/ into an accessible website in site/.",
    )
    commands = parser.add_subparsers(dest="command")
    build_command = commands.add_parser("build", help="build the site (the default)")
    for command in (parser, build_command):
        command.add_argument("--output", type=Path, default=None, help="where to write the site (default: site/)")
        command.add_argument("--project", type=Path, default=PROJECT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    project = args.project.resolve()
    output = args.output or project / "site"
    return run_build(project, output)


def run_build(project: Path, output: Path) -> int:
    started = time.perf_counter()
    try:
        result = build(project, output)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found; {shown(output, project)} was not changed.",
              file=sys.stderr)
        return 1
    except jinja2.TemplateError as error:
        where, line = template_location(error, project)
        print(f"{where}:{line}: template error: {error.message}", file=sys.stderr)
        print(f"{shown(output, project)} was not changed.", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    actions = sum(sum(1 for _ in plan.actions()) for plan in result.plans)
    print(f"Built {len(result.plans)} plans ({actions} actions) into {shown(output, project)}/: "
          f"{result.files} files in {seconds:.1f} s.")
    return 0


def template_location(error: jinja2.TemplateError, project: Path) -> tuple[str, int]:
    """Where in a template the error is: syntax errors say so; for errors while rendering,
    Jinja puts the template's own file and line into the traceback."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return shown(Path(error.filename), project), error.lineno
    templates = str(project / "templates")
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(templates):
            return shown(Path(frame.filename), project), frame.lineno or 1
    return "templates", 1


def shown(path: Path, project: Path) -> str:
    """A path as the user should read it: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(project).as_posix()
    except ValueError:
        return str(path)
