"""Compile every app's locale/*/LC_MESSAGES/django.po into .mo with polib (no GNU gettext needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib


def main() -> int:
    root = Path(__file__).resolve().parents[1] / "src" / "dualcarbon"
    n = 0
    for po_path in root.glob("**/locale/*/LC_MESSAGES/django.po"):
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        n += 1
    print(f"compiled {n} catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
