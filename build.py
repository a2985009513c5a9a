#!/usr/bin/env python3
"""Build the plans site: ``python build.py`` (see README.md)."""

import sys

try:
    from plansite.cli import main
except ModuleNotFoundError as missing:  # run outside .venv, or before ./setup
    sys.exit(f"plansite's Python packages are not installed here ({missing.name} is missing): "
             "run ./setup, then .venv/bin/python build.py")

if __name__ == "__main__":
    sys.exit(main())
