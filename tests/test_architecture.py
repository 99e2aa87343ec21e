"""The layering of docs/architecture.md holds, and breaking it is caught.

``lint-imports`` (import-linter, contracts in pyproject.toml) runs on the source tree; then on a copy of it in
which reporting imports accounting (an arrow pointing down the flow), where it must fail and name the import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT), str(root / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 9 kept, 0 broken." in run.stdout


def test_an_import_up_the_layers_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    services = tmp_path / "src/dualcarbon/reporting/services.py"
    text = services.read_text(encoding="utf-8")
    upward = "from dualcarbon.accounting import services as _up\nfrom . import hooks"
    services.write_text(text.replace("from . import hooks", upward, 1), encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode == 1
    assert "dualcarbon.reporting.services -> dualcarbon.accounting.services" in run.stdout
    assert "Contracts: 8 kept, 1 broken." in run.stdout
