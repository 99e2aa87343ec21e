"""Run the database-backed tests on a throwaway PostgreSQL cluster: ``python tests/run_pg.py [pytest args]``.

Starts a cluster (:mod:`tests.pg`), exports ``DATABASE_URL`` for it, runs pytest and returns
pytest's exit status; the cluster is stopped and deleted whatever happens.

Without path arguments it runs every test directory that touches the database: all of ``tests/``
except the directories in :data:`NO_DATABASE` (the pure engine and reference tests, Spark, the
benchmark smoke test, the browser tests), so a new app's test directory runs on PostgreSQL
without editing this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pg import throwaway_cluster  # noqa: E402

#: test paths that never touch the database (they run once, on the SQLite suite)
NO_DATABASE = {"engine", "reference", "bench", "e2e", "fixtures", "test_cli.py", "test_architecture.py"}


def default_paths() -> list[str]:
    tests = ROOT / "tests"
    paths = []
    for p in sorted(tests.iterdir()):
        if p.name in NO_DATABASE or p.name.startswith(("_", ".")):
            continue
        if (p.is_dir() and any(p.rglob("test_*.py"))) or (p.is_file() and p.name.startswith("test_")):
            paths.append(str(p.relative_to(ROOT)))
    return paths


def main(argv: list[str]) -> int:
    has_paths = any(not a.startswith("-") and (ROOT / a.split("::")[0]).exists() for a in argv)
    args = argv if has_paths else [*argv, *default_paths()]
    started = time.monotonic()
    with throwaway_cluster() as url:
        print(f"PostgreSQL throwaway cluster: {url}", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
        status = subprocess.call(cmd, cwd=ROOT, env=env)
    print(f"PostgreSQL suite: exit {status} in {time.monotonic() - started:.0f}s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
