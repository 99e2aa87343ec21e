"""Large Excel uploads (issue 12, item 6): the reader streams and stops at the row limit, and a large upload is
imported by a background job (django-tasks) whose page shows its progress and result; small uploads keep the
synchronous path (tests/reporting/test_excel.py, unchanged)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from dualcarbon.reporting import excel, imports
from dualcarbon.reporting.models import ImportJob, Submission
from tests.factories import build_world

XLSX = excel.XLSX_CONTENT_TYPE
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def workbook(rows: int, *, quantity: bool = True, unit: str = "t", dimension: bool = False) -> bytes:
    """A template-shaped workbook with ``rows`` activity rows (write-only: no <dimension> unless asked)."""
    wb = Workbook(write_only=not dimension)
    if dimension:
        wb.remove(wb.active)  # type: ignore[arg-type]
    ws = wb.create_sheet(excel.SHEET_ACTIVITY)
    ws.append([c.zh for c in excel.ACTIVITY_COLUMNS])
    ws.append([c.code for c in excel.ACTIVITY_COLUMNS])
    for i in range(rows):
        ws.append(["化石燃料燃烧", "原煤" if i % 2 else "柴油", (100 + i) if quantity else None, unit])
    wp = wb.create_sheet(excel.SHEET_PRODUCTION)
    wp.append([c.zh for c in excel.PRODUCTION_COLUMNS])
    wp.append([c.code for c in excel.PRODUCTION_COLUMNS])
    we = wb.create_sheet(excel.SHEET_ECONOMIC)
    we.append(["项目", "代码", "数值", "单位", "说明"])
    we.append(["工业增加值（收入法）", "value_added", 4200, "万元", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(content: bytes, name: str = "大文件.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


# --- the streaming reader (no database) ---------------------------------------------------------------------------


def test_an_oversized_sheet_is_refused_after_reading_the_limit_plus_one_rows() -> None:
    read: list[int] = []
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.parse_workbook(upload(workbook(excel.MAX_DATA_ROWS * 3)), progress=read.append)
    first = info.value.findings[0]
    assert (first.rule, first.sheet) == ("too_many_rows", excel.SHEET_ACTIVITY)
    # it stopped at the limit: rows read (progress, every PROGRESS_EVERY) stay below limit + header + one step
    assert excel.MAX_DATA_ROWS - excel.PROGRESS_EVERY <= sum(read) <= excel.MAX_DATA_ROWS + excel.PROGRESS_EVERY


def test_a_sheet_of_blank_rows_beyond_the_sheet_limit_is_refused_too() -> None:
    read: list[int] = []
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.parse_workbook(upload(workbook(excel.MAX_SHEET_ROWS + 10, quantity=False)), progress=read.append)
    assert info.value.findings[0].rule == "too_many_rows"
    assert sum(read) <= excel.MAX_SHEET_ROWS


def test_the_limit_itself_still_imports_and_progress_counts_the_rows() -> None:
    read: list[int] = []
    data = excel.parse_workbook(upload(workbook(excel.MAX_DATA_ROWS, dimension=True)), progress=read.append)
    assert len(data.activities) == excel.MAX_DATA_ROWS
    assert sum(read) == (excel.MAX_DATA_ROWS + 2) // excel.PROGRESS_EVERY * excel.PROGRESS_EVERY


def test_the_plan_uses_size_and_declared_rows(settings: Any) -> None:
    settings.DUALCARBON_IMPORT_ASYNC_ROWS = 2000
    settings.DUALCARBON_IMPORT_ASYNC_BYTES = 1 << 20
    small = excel.upload_plan(upload(workbook(20, dimension=True)))
    assert (small.background, small.rows) == (False, 22)
    many = excel.upload_plan(upload(workbook(2500, dimension=True)))
    assert (many.background, many.rows) == (True, 2502)
    # no <dimension> (openpyxl's write-only files): the size decides
    assert excel.upload_plan(upload(workbook(2500))).rows is None
    assert excel.upload_plan(upload(workbook(2500)), max_bytes=1000).background
    # a file that cannot be imported is refused in the request, at once, as before
    huge = excel.upload_plan(upload(workbook(excel.MAX_SHEET_ROWS + 1, dimension=True)))
    assert not huge.background and huge.rows == excel.MAX_SHEET_ROWS + 3
    assert not excel.upload_plan(upload(b"not a zip", "x.xlsx")).background
    assert not excel.upload_plan(upload(workbook(2500), "x.csv")).background


# --- background jobs (database) ------------------------------------------------------------------------------------


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    settings.DUALCARBON_IMPORT_ASYNC_ROWS = 40  # small files stand in for large ones
    settings.TASKS = IMMEDIATE
    return build_world()


@pytest.fixture
def cement(world: Any) -> Client:
    client = Client()
    client.force_login(world.users["cement"])
    return client


def _post(client: Client, content: bytes, month: int = 1) -> Any:
    return client.post(reverse("reporting:upload", args=[2024, month]), {"file": upload(content)})


@pytest.mark.django_db
def test_a_large_upload_returns_at_once_and_its_job_imports_the_draft(world: Any, cement: Client) -> None:
    response = _post(cement, workbook(60, dimension=True))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:import_job", args=[job.pk])
    assert (job.status, job.rows_declared, job.enterprise, job.created_by) == (
        "done",
        62,
        world.cement,
        world.users["cement"],
    )
    assert job.task_id and job.started_at and job.finished_at and job.progress == 100
    sub = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=1)
    assert job.submission == sub and (sub.status, sub.channel) == ("draft", "excel")
    assert sub.activities.count() == 60 == job.activities and job.errors == 0
    page = cement.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-status="done"' in text and "已导入 60 行活动数据" in text and "hx-trigger" not in text


@pytest.mark.django_db
def test_small_uploads_keep_the_synchronous_path(world: Any, cement: Client) -> None:
    response = _post(cement, workbook(10, dimension=True))
    assert response.status_code == 302 and "/import/" not in response["Location"]
    assert not ImportJob.objects.exists()
    assert Submission.objects.get(enterprise=world.cement).activities.count() == 10


@pytest.mark.django_db
def test_a_queued_job_is_polled_and_run_by_the_worker(
    world: Any, cement: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = DATABASE
    # the worker closes connections it thinks stale; inside the test's transaction (PostgreSQL) that would be ours
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    response = _post(cement, workbook(60, dimension=True))
    job = ImportJob.objects.get()
    assert job.status == "queued" and not Submission.objects.exists()
    page = cement.get(response["Location"])
    text = page.content.decode()
    assert 'data-status="queued"' in text and 'hx-trigger="every 1s"' in text and "import-progress" in text
    fragment = cement.get(response["Location"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content and b'id="import-job"' in fragment.content
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.activities) == ("done", 60)
    assert Submission.objects.get().activities.count() == 60
    assert imports.run(job.pk) == "done" and Submission.objects.count() == 1  # a second delivery does nothing


@pytest.mark.django_db
def test_a_refused_file_fails_its_job_with_located_findings_in_both_languages(world: Any, cement: Client) -> None:
    response = _post(cement, workbook(60, unit="桶桶", dimension=True))
    job = ImportJob.objects.get()
    assert job.status == "failed" and not Submission.objects.exists()
    assert {f["rule"] for f in job.findings} == {"unknown_unit"} and len(job.findings) == 60
    assert job.findings[0]["sheet"] == excel.SHEET_ACTIVITY and job.findings[0]["row"] == 3
    assert "无法识别的单位" in job.findings[0]["message_zh"] and "unknown unit" in job.findings[0]["message_en"]
    text = cement.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in text and 'data-rule="unknown_unit"' in text and "无法识别的单位" in text


@pytest.mark.django_db
def test_an_oversized_file_is_still_refused_in_the_request(world: Any, cement: Client) -> None:
    response = _post(cement, workbook(excel.MAX_SHEET_ROWS + 1, dimension=True))
    assert response.status_code == 400 and b'data-rule="too_many_rows"' in response.content
    assert not ImportJob.objects.exists() and not Submission.objects.exists()


@pytest.mark.django_db
def test_a_job_is_seen_only_by_those_who_read_the_enterprises_raw_data(world: Any, cement: Client) -> None:
    _post(cement, workbook(60, dimension=True))
    url = reverse("reporting:import_job", args=[ImportJob.objects.get().pk])
    for role, code in (("steel", 404), ("bank", 404), ("gov", 200), ("admin", 200), ("cement", 200)):
        client = Client()
        client.force_login(world.users[role])
        assert client.get(url).status_code == code, role
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert cement.post(url).status_code == 405
