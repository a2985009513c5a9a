"""A plan's attachments (附件, 附表): the files its front matter names, checked where they lie
(content/plans/ID/) each time the sources are loaded, since a file can change while the plan
file does not. Each file's format, size and digest go into the plan, and the digests into the
hash of the plan's sources, so its pages, data and downloads are made again when one changes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import formats
from . import model as m
from .cache import digest
from .errors import ContentError, Problem
from .inputs import Unreadable, check_regular, inside
from .project import PLANS_DIR
from .site_paths import attachment

MAX_ATTACHMENT_BYTES = 20_000_000
"""A form or schedule is a few hundred KB; a scan of many pages a few MB."""


def folder(plan_id: str) -> Path:
    """Where a plan's attached files are kept, relative to the project: content/plans/ID/."""
    return PLANS_DIR / plan_id


def check_files(project: Path, plans: tuple[m.Plan, ...], sources: dict[str, str]) -> tuple[m.Plan, ...]:
    """The plans with their attached files checked and described (format, size, digest), each
    file's digest folded into ``sources`` (the hash of the plan's files everything depends on);
    or ContentError naming every file that cannot be attached, at its entry's line."""
    problems: list[Problem] = []
    out = []
    for plan in plans:
        if not plan.attachments:
            out.append(plan)
            continue
        checked = tuple(check_file(project, plan, a, problems) for a in plan.attachments)
        out.append(m.evolve(plan, attachments=checked))
        if plan.loc.path in sources and any(a.digest for a in checked):
            files = (f"{a.file}:{a.digest}" for a in checked)
            sources[plan.loc.path] = digest(sources[plan.loc.path], *files)
    if problems:
        raise ContentError(problems)
    return tuple(out)


def check_file(project: Path, plan: m.Plan, attachment: m.Attachment, problems: list[Problem]
               ) -> m.Attachment:
    """One attachment, described; a file that cannot be attached adds a problem."""
    if attachment.file is None:  # a section, or an English entry reusing the Chinese file
        return m.evolve(attachment, lang=plan.lang)
    where = folder(plan.id).as_posix()
    name = attachment.file

    def fail(message: str, hint: str) -> m.Attachment:
        problems.append(Problem(attachment.loc.path, attachment.loc.line, message, hint))
        return attachment

    format = next((f for f in formats.ATTACHMENTS if name.lower().endswith(f.suffixes)), None)
    if format is None:
        kinds = ", ".join(s for f in formats.ATTACHMENTS for s in f.suffixes)
        return fail(f"the attachment '{name}' is not of a kind a plan may attach",
                    f"attach it as one of {kinds} (export a Word file as PDF or ODT)")
    path = project / where / name
    if os.path.lexists(path) and not (inside(project / PLANS_DIR, path) and inside(project / where, path)):
        # the file, or the plan's folder, is a link out of the plans' folder: never read
        return fail(f"the attachment '{where}/{name}' is a link to a file outside {where}/",
                    f"copy the file itself into {where}/")
    try:
        check_regular(path)
    except Unreadable as error:
        hint = (f"put the file in {where}/, or correct 'file'" if "does not exist" in error.what
                else error.hint)
        return fail(f"the attachment '{where}/{name}' {error.what}", hint)
    size = path.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        return fail(f"the attachment '{where}/{name}' is {size / 1_000_000:.1f} MB; an attachment may be "
                    f"at most {MAX_ATTACHMENT_BYTES // 1_000_000} MB",
                    "make it smaller (e.g. scan at 150 dpi) or split it")
    try:
        data = path.read_bytes()
    except OSError as error:
        return fail(f"the attachment '{where}/{name}' cannot be read ({error.strerror})",
                    "let the user who builds the site read it")
    if not format.matches(data):
        actual = next((f for f in formats.ATTACHMENTS if f.matches(data)), None)
        what = f"of another kind ({actual.label})" if actual else "of no kind a plan may attach"
        rename = f", or name it '{Path(name).stem}{actual.suffixes[0]}'" if actual else ""
        return fail(f"the attachment '{where}/{name}' is named as {format.label}, but its content is {what}",
                    f"save it again as {format.label}{rename}")
    if format.image and not attachment.alt:
        return fail(f"the attachment '{name}' is an image and has no 'alt' text",
                    "add 'alt: …' saying what the image shows, for readers who cannot see it")
    return m.evolve(attachment, kind=format.kind, size=len(data), lang=plan.lang,
                    digest=hashlib.sha256(data).hexdigest())


def attached_files(project: Path, plan: m.Plan) -> list[tuple[str, Path]]:
    """(site path, source file) of each file attached to the plan."""
    return [(attachment(plan.id, a.file), project / folder(plan.id) / a.file)
            for a in plan.attachments if a.file and a.kind]
