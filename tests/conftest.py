"""Shared fixtures. Engine tests need no database; Django is configured by pytest-django."""

from __future__ import annotations

import csv
import importlib.util
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dualcarbon.engine.inputs import ALL_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
COLUMNS = list(ALL_COLUMNS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser test (Playwright + Debian chromium, live server); tests/e2e")
    # WhiteNoise says so when STATIC_ROOT (var/static) has not been collected: the tests never need it
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning:django.core.handlers.base")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make pytest`: -n auto --dist loadgroup) the Spark tests share one worker, so one JVM
    starts (the session-scoped ``spark_con``), and so do the browser tests (one Chromium per package)."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        if item.get_closest_marker("spark") or "spark_con" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif Path(str(item.fspath)).is_relative_to(e2e):
            item.add_marker(pytest.mark.xdist_group("e2e"))


#: set by `make pytest` (and so `make test`): Spark is a promised component, its absence fails instead of skipping
REQUIRE_SPARK = "DUALCARBON_REQUIRE_SPARK"


@pytest.fixture(scope="session")
def spark_con() -> Iterator[Any]:
    """One Spark session (local mode) for the whole test session: starting Spark costs seconds."""
    if importlib.util.find_spec("pyspark") is None:
        missing = "PySpark is not installed (the 'spark' extra: uv sync --extra spark; make setup does)"
        if os.environ.get(REQUIRE_SPARK) == "1":
            pytest.fail(f"{missing}; {REQUIRE_SPARK}=1 makes Spark required")
        pytest.skip(missing)
    if shutil.which("java") is None:
        pytest.fail("Java is required for Spark local mode (make setup installs openjdk-17-jre-headless)")
    from dualcarbon.engine import backends

    con = backends.connect("spark")
    yield con
    con._session.stop()
    # py4j logs "Closing down clientserver connection" from __del__ at interpreter exit, after pytest has closed the
    # captured stream ("--- Logging error --- ValueError: I/O operation on closed file" in the run's output)
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def duck() -> Any:
    from dualcarbon.engine import backends

    return backends.connect("duckdb", memory_limit="1GB")


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return path


@pytest.fixture
def account(tmp_path: Path, duck: Any) -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """Run the engine on rows (dicts) through a real CSV file; return (lines, totals)."""
    from dualcarbon.engine import Options, account_file

    counter = {"n": 0}

    def run(rows: list[dict[str, Any]], **opts: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        counter["n"] += 1
        base = {"entity": "91330502MA2D8KQX3R", "period": "2024-01"}
        path = write_csv(tmp_path / f"a{counter['n']}.csv", [{**base, **r} for r in rows])
        options = Options(**opts)
        with account_file(path, options, con=duck) as result:
            return result.lines_frame(), result.totals_frame()

    return run


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 (production) costs ~0.5 s per hash; tests that create users use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the platform's default language (zh-hans): a test-client request with Accept-Language en
    leaves English active in the worker's thread, which a later test calling services directly would inherit."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Any) -> None:
    """Production names content-hashed static files from the manifest ``collectstatic`` writes to var/static;
    the tests name the plain files and do not depend on what an earlier ``make demo`` left in var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
