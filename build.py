#!/usr/bin/env python3
"""Build the plans site: ``python build.py`` (see README.md)."""

import os
import sys


def interrupted() -> None:
    """Ctrl-C before plansite's own handling of it (as Python starts): nothing was done yet."""
    print("Interrupted.", file=sys.stderr)
    sys.exit(130)


try:
    from plansite.cli import main
except ModuleNotFoundError as missing:  # run outside .venv, or before ./setup
    sys.exit(f"plansite's Python packages are not installed here ({missing.name} is missing): "
             "run ./setup, then .venv/bin/python build.py")
except KeyboardInterrupt:
    interrupted()

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        interrupted()
    except BrokenPipeError:  # what read the output stopped (| head): the rest goes nowhere, as with any tool
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
