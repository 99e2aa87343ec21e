"""DualCarbon reference library: sourced factor tables (CSV) shipped with the package.

Every data row carries ``source`` and ``confidence``; provenance is documented in ``SOURCES.md``.
Load the tables through :mod:`dualcarbon.engine.reference`.
"""

from __future__ import annotations

import pathlib

DATA_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent

__all__ = ["DATA_DIR"]
