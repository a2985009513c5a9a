"""Programs the build runs (Pagefind, pa11y-ci with its Chromium, the Nu checker) die with it,
even when it is killed and cannot clean up: a killed ``check`` left browsers running."""

from __future__ import annotations

import os
import shutil

SETPRIV = shutil.which("setpriv")


def tied(command: list[str], signal: str = "KILL") -> list[str]:
    """``command`` run so that Linux sends it ``signal`` when the thread that started it ends,
    a killed build included (setpriv, util-linux); a shell then runs it only if the build is
    still its parent (had the build died before that, no one would send the signal). Its own
    children must end with it: pa11y-ci's browser talks to it over a pipe, so it ends too."""
    if SETPRIV is None:
        return command
    return [SETPRIV, "--pdeathsig", signal, "--", "/bin/sh", "-c", 'test "$PPID" = "$0" && exec "$@"',
            str(os.getpid()), *command]
