"""The benchmark scripts of ``bench/``, loaded by path for their smoke tests.

Inside the test tree the name ``bench`` is this test package, not ``ROOT/bench``, so each script is loaded from its
file under a name of its own (once per process).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load(script: str) -> ModuleType:
    """``load("meters")`` → the module of ``bench/meters.py``."""
    name = f"dualcarbon_bench_{script}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{script}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
