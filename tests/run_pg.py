"""Run the database-backed tests on a throwaway PostgreSQL cluster: ``python tests/run_pg.py [pytest args]``.

Starts a cluster (:mod:`tests.pg`), exports ``DATABASE_URL`` for it, runs pytest and returns
pytest's exit status; the cluster is stopped and deleted whatever happens.

Without path arguments it runs every test directory that touches the database: all of ``tests/``
except the directories in :data:`NO_DATABASE` (the pure engine and reference tests, Spark, the
benchmark smoke test, the browser tests), so a new app's test directory runs on PostgreSQL
without editing this file. The run is kept lean (docs/testing.md § PostgreSQL): the tests in
:data:`SQLITE_ONLY` prove things about the HTTP surface, the settings or the ORM's query counts, which the
database does not change; they run once, on SQLite.
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
NO_DATABASE = {
    "engine", "reference", "bench", "e2e", "fixtures", "test_cli.py", "test_cli_meters.py", "test_cli_savings.py",
    "test_cli_index.py", "test_architecture.py",
}

#: database-backed tests that run once, on SQLite, with the reason: what they prove does not depend on the database.
#: Everything a database decides — constraints, triggers, locks, concurrency, the ledger and audit chain, SQL
#: aggregates, migrations, every service and page query of every app — still runs on PostgreSQL.
SQLITE_ONLY: dict[str, str] = {
    "test_scoping_matrix.py": "every route x role over HTTP (~700 requests); the predicates it exercises "
    "(registry.access, each app's scoping functions) run on PostgreSQL in the apps' own tests",
    "test_not_found_parity.py": "byte-for-byte equality of the 404 and 403 pages",
    "test_settings.py": "settings in fresh processes (no database)",
    "web/test_hardening.py": "error pages, headers, sessions and password rules",
    "web/test_chart_fonts.py": "chart rendering",
    "web/test_names.py": "display names",
    "api/test_fuzz.py": "the API's contract (schemathesis); the write paths it drives are tested on PostgreSQL",
    "api/test_generated_client.py": "a generated client against the OpenAPI document",
    "accounting/test_views.py::test_query_counts_do_not_grow_with_data": "the ORM's query count (N+1), not SQL",
    "monitoring/test_dashboard.py::test_query_count_does_not_grow_with_data": "the ORM's query count",
    "monitoring/test_completeness_growth.py::test_drill_down_query_count_does_not_grow": "the ORM's query count",
    "monitoring/test_assignment.py::test_notification_page_query_count_does_not_grow": "the ORM's query count",
    "rating/test_views.py::test_region_page_query_count_does_not_grow_with_results": "the ORM's query count",
    "finance/test_credit_report.py::test_the_chinese_pdf_carries_its_number_hash_and_qr_code": "PDF rendering "
    "(WeasyPrint, poppler); the report's content is built and hashed on PostgreSQL in the module's other tests",
    "finance/test_credit_report.py::test_the_bank_page_and_the_report_page_in_both_languages": "pages in two "
    "languages",
    "finance/cert/test_views.py": "the certification pages in two languages; the services, constraints and API behind "
    "them run on PostgreSQL in cert/test_certification.py and cert/test_api.py",
    "finance/loans/test_views.py": "the loan pages in two languages; the services, constraints, row lock and API "
    "behind them run on PostgreSQL in loans/test_lending.py, loans/test_api.py and test_loans_concurrency.py",
    "demo/test_generator.py::test_command_builds_and_prints_the_logins_without_serving": "the command's printed "
    "logins; the same build runs on PostgreSQL in test_small_region_is_built_deterministically…",
    "demo/test_generator.py::test_build_makes_the_monitoring_summary": "a second demo build; the summary's SQL runs "
    "on PostgreSQL in tests/monitoring",
    "planning/test_views.py": "the plan pages in two languages and the PDF's text; the plan's services, queries and "
    "API run on PostgreSQL in test_services.py and test_api.py",
    "planning/test_pathways.py::test_the_pathway_reads_in_english": "the pathway page in English",
    "planning/test_pathways.py::test_the_pdf_carries_peak_and_sectors": "PDF rendering (WeasyPrint, poppler)",
    "policy/test_views.py": "the policy pages and forms in two languages; matching, versions and their constraints "
    "run on PostgreSQL in test_services.py and test_api.py",
    "policy/test_sandbox_pages.py": "the sandbox pages and API in two languages; the sandbox's no-side-effect "
    "snapshot, movers and adoption run on PostgreSQL in test_sandbox.py",
    "programme/test_views.py": "the programme pages in two languages, the report's PDF text and Excel; versions, "
    "scoping and the dispatch alerts run on PostgreSQL in test_services.py and test_api.py",
    "programme/test_structure.py": "the structure forms and the evidence download over HTTP (located errors, 403/404); "
    "the inventory, snapshots and ESG run on PostgreSQL in test_inventory_esg.py",
}


def default_paths() -> list[str]:
    tests = ROOT / "tests"
    paths = []
    for p in sorted(tests.iterdir()):
        if p.name in NO_DATABASE or p.name in SQLITE_ONLY or p.name.startswith(("_", ".")):
            continue
        if (p.is_dir() and any(p.rglob("test_*.py"))) or (p.is_file() and p.name.startswith("test_")):
            paths.append(str(p.relative_to(ROOT)))
    return paths


def sqlite_only_args() -> list[str]:
    """``--ignore`` for the files and ``--deselect`` for the tests of :data:`SQLITE_ONLY` inside the directories run."""
    args = []
    for name in SQLITE_ONLY:
        path = f"tests/{name}"
        if "::" in name:
            args.append(f"--deselect={path}")
        elif "/" in name:
            args.append(f"--ignore={path}")
    return args


def main(argv: list[str]) -> int:
    has_paths = any(not a.startswith("-") and (ROOT / a.split("::")[0]).exists() for a in argv)
    args = argv if has_paths else [*argv, *sqlite_only_args(), *default_paths()]
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
