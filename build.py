#!/usr/bin/env python3
"""Build the plans site: ``python build.py`` (see README.md)."""

import sys

from plansite.cli import main

if __name__ == "__main__":
    sys.exit(main())
