"""Bulk onboarding of a region (``dualcarbon import-region``, reporting/region_import.py): a small real-looking region
(5 enterprises × 3 months, tests/fixtures/region_import/, CSV and XLSX) imports as submitted months whose accounts
equal those of the same months submitted one by one through the reporting services; a file with errors in several
places lists each, located by file, row and column, and writes nothing; importing again skips the months already
reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from dualcarbon import cli
from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation, Region
from dualcarbon.reporting import region_import, services
from dualcarbon.reporting.models import ActivityRecord, ReportingPeriod, Submission, ValidationIssue
from tests.factories import PASSWORD
from tests.web.helpers import fast_world

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent.parent / "fixtures" / "region_import"
CSV_FILES = [FILES / "enterprises.csv", FILES / "activities.csv", FILES / "months.csv"]
XLSX_FILES = [FILES / "region.xlsx"]
TOTALS = ("total_tco2e", "scope1_tco2e", "scope2_tco2e", "energy_tce", "intensity")


@pytest.fixture
def world(settings: Any) -> Any:
    return fast_world(settings)


def _run(capsys: Any, *args: str) -> tuple[int, Any]:
    code = cli.main(["import-region", *args, "--quiet"])
    out = capsys.readouterr().out
    return code, (json.loads(out) if "--format" in args else out)


def _accounts() -> dict[tuple[str, int, int], tuple[Any, ...]]:
    rows = AccountEntry.objects.filter(is_current=True, enterprise__uscc__startswith="91339901MB").values_list(
        "enterprise__uscc", "year", "month", *TOTALS
    )
    accounts = {(u, y, m): tuple(round(v, 6) if v is not None else None for v in rest) for u, y, m, *rest in rows}
    # and the warnings stored with each month (rule, column), as submit stores them
    issues = ValidationIssue.objects.filter(submission__enterprise__uscc__startswith="91339901MB").values_list(
        "submission__enterprise__uscc", "submission__period__year", "submission__period__month", "rule", "column"
    )
    for u, y, m, rule, column in issues:
        accounts[(u, y, m)] += ((rule, column),)
    return accounts


def _in_savepoint(fn: Any) -> Any:
    """Run ``fn`` and undo what it wrote (the test compares several ways of loading the same region)."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


def _one_by_one() -> dict[tuple[str, int, int], tuple[Any, ...]]:
    """The same region registered through the registry services and each month saved and submitted by the
    enterprise's staff through the reporting services (write_draft → submit: the account on submit)."""
    gov = Membership.objects.get(user__username="gov").user
    with (FILES / "enterprises.csv").open(encoding="utf-8") as f:
        firms = list(csv.DictReader(f))
    with (FILES / "activities.csv").open(encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    with (FILES / "months.csv").open(encoding="utf-8") as f:
        months = list(csv.DictReader(f))
    staff = {}
    for i, firm in enumerate(firms):
        org = registry.register_enterprise(
            gov,
            name=firm["name"],
            uscc=firm["uscc"],
            region=Region.objects.get(code=firm["county"]),
            industry=Industry.objects.get(code=firm["industry"]),
            size_class=firm["size"],
            above_scale=True,
        )
        staff[firm["uscc"]] = (registry.create_user(f"onebyone{i}", PASSWORD, org, "enterprise_staff"), org)
    for m in (m for m in months if m["period"] == "2025-01"):  # a month of each enterprise, all source types
        user, org = staff[m["uscc"]]
        year, month = (int(x) for x in m["period"].split("-"))
        acts = [
            {k: v for k, v in r.items() if k not in ("uscc", "period")}
            for r in lines
            if r["uscc"] == m["uscc"] and r["period"] == m["period"]
        ]
        economic = {"value_added": m["value_added"], "output_value": m["output_value"], "revenue": m["revenue"]}
        draft = services.write_draft(user, org, year, month, services.DraftData(activities=acts, economic=economic))
        services.submit(user, draft)
    return _accounts()


def test_csv_and_xlsx_import_as_submitted_months_with_the_accounts_of_months_submitted_one_by_one(
    world: Any, capsys: Any
) -> None:
    def imported(files: list[Path]) -> dict[tuple[str, int, int], tuple[Any, ...]]:
        code, out = _run(capsys, *map(str, files), "--user", "gov", "--format", "json")
        assert code == 0, out
        assert out["enterprises_created"] == 5 and out["months_imported"] == 15 and out["accounts_computed"] == 15
        assert out["activity_lines"] == 39 and out["months_skipped"] == 0
        assert out["engine_runs"] == 1  # the 15 months accounted in one engine run
        subs = Submission.objects.filter(enterprise__uscc__startswith="91339901MB")
        assert subs.count() == 15
        assert {(s.version, s.status, s.is_current, s.channel) for s in subs} == {(1, "submitted", True, "import")}
        assert all(s.submitted_by and s.submitted_at for s in subs)
        first = ActivityRecord.objects.filter(submission__in=subs).order_by("source_row").first()
        assert first is not None and first.source_row == 2
        assert first.source_sheet in ("activities.csv", "region.xlsx[活动数据]")
        # each enterprise has its first history version, made by the importer
        org = Organisation.objects.get(uscc="91339901MB0000000M")
        assert org.history.count() == 1 and org.history.get().history_user.username == "gov"
        return _accounts()

    by_csv = _in_savepoint(lambda: imported(CSV_FILES))
    by_xlsx = _in_savepoint(lambda: imported(XLSX_FILES))
    by_hand = _in_savepoint(_one_by_one)
    assert len(by_csv) == len(by_xlsx) == 15 and len(by_hand) == 5
    assert ("measured_without_lab_report", "ncv") in by_csv[("91339901MB0000002U", 2025, 1)]  # a warning kept
    assert {k: v for k, v in by_csv.items() if k in by_hand} == by_hand
    assert by_xlsx == by_csv


def _bad_files(tmp_path: Path) -> list[Path]:
    out = []
    for path in CSV_FILES:
        rows = list(csv.reader(path.open(encoding="utf-8")))
        if path.name == "enterprises.csv":
            rows[2][1] = rows[2][1][:-1] + ("0" if rows[2][1][-1] != "0" else "1")  # row 3: a wrong check digit
            rows[4][2] = "330102"  # row 5: a county outside the jurisdiction of 示范市
        elif path.name == "activities.csv":
            rows[1][4] = "12,3x"  # row 2: not a number
            rows[10][3] = "黄金"  # row 11 (2025-03): an item the engine does not know
            rows[5][1] = "2025-13"  # row 6: no such month
        else:
            rows[2][2] = ""  # row 3: the value added of 2025-02 missing
        target = tmp_path / path.name
        with target.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        out.append(target)
    return out


def test_a_file_with_errors_lists_each_located_and_writes_nothing(world: Any, capsys: Any, tmp_path: Path) -> None:
    before = (Organisation.objects.count(), Submission.objects.count(), ReportingPeriod.objects.count())
    files = _bad_files(tmp_path)
    code, out = _run(capsys, *map(str, files), "--user", "gov", "--format", "json")
    assert code == 2 and out["ok"] is False
    located = {(e["file"], e["row"], e["column"], e["rule"]) for e in out["errors"]}
    assert ("enterprises.csv", 3, "uscc", "invalid_uscc") in located
    assert ("enterprises.csv", 5, "county", "outside_jurisdiction") in located
    assert ("activities.csv", 2, "quantity", "not_a_number") in located
    assert ("activities.csv", 11, "item", "engine.unknown_item") in located
    assert ("activities.csv", 6, "period", "invalid_period") in located
    assert ("months.csv", 3, "value_added", "value_added_required") in located
    assert all(e["message"] and e["file"] for e in out["errors"])
    assert "统一社会信用代码" in json.dumps(out, ensure_ascii=False)  # Chinese by default
    assert (Organisation.objects.count(), Submission.objects.count(), ReportingPeriod.objects.count()) == before

    code, text = _run(capsys, *map(str, files), "--user", "gov", "--lang", "en")
    assert code == 2
    assert "nothing imported" in text and "activities.csv, row 6, column period" in text
    assert "is not a valid USCC" in text


def test_importing_again_skips_the_months_already_reported(world: Any, capsys: Any, tmp_path: Path) -> None:
    code, out = _run(capsys, *map(str, CSV_FILES), "--user", "gov", "--format", "json")
    assert code == 0 and out["months_imported"] == 15
    issues = ValidationIssue.objects.filter(submission__enterprise__uscc__startswith="91339901MB").count()
    code, out = _run(capsys, *map(str, CSV_FILES), "--user", "gov", "--format", "json")
    assert code == 0
    assert (out["enterprises_created"], out["enterprises_existing"]) == (0, 5)
    assert (out["months_imported"], out["months_skipped"], out["accounts_computed"]) == (0, 15, 0)
    assert Submission.objects.filter(enterprise__uscc__startswith="91339901MB").count() == 15
    assert ValidationIssue.objects.filter(submission__enterprise__uscc__startswith="91339901MB").count() == issues

    # a fourth month added to the files: only it is imported, the others are skipped
    extra = tmp_path / "april.csv"
    months = tmp_path / "april-months.csv"
    first = "91339901MB0000000M"
    extra.write_text(
        f"uscc,period,source_type,item,quantity,unit\n{first},2025-04,purchased_electricity,电力,2000,MWh\n",
        encoding="utf-8",
    )
    months.write_text(f"uscc,period,value_added\n{first},2025-04,3300\n", encoding="utf-8")
    code, text = _run(capsys, str(extra), str(months), "--user", "gov")
    assert code == 0 and "导入 1 个企业月" in text
    assert AccountEntry.objects.filter(enterprise__uscc=first, year=2025, month=4, is_current=True).exists()


def test_only_a_government_officer_or_the_admin_imports(world: Any, capsys: Any) -> None:
    code, out = _run(capsys, *map(str, CSV_FILES), "--user", "cement", "--format", "json")
    assert code == 2 and out["errors"][0]["rule"] == "permission"
    assert not Organisation.objects.filter(uscc__startswith="91339901MB").exists()
    with pytest.raises(region_import.RegionImportInvalid):
        region_import.run(Membership.objects.get(user__username="district").user, CSV_FILES)
