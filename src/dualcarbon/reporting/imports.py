"""Large Excel uploads imported by a background job (django-tasks), so that the request returns at once.

The upload page asks :func:`runs_in_background`: a file over ``DUALCARBON_IMPORT_ASYNC_BYTES`` (1 MB) or whose
sheets declare more than ``DUALCARBON_IMPORT_ASYNC_ROWS`` rows (2,000) — unless it cannot be imported at all,
which the request refuses at once as before (:func:`dualcarbon.reporting.excel.upload_plan`). Smaller files keep
the synchronous path unchanged.

:func:`start` stores the file in an :class:`~dualcarbon.reporting.models.ImportJob` (queued) and enqueues
:func:`dualcarbon.reporting.tasks.run_import`; a worker (``dualcarbon db_worker``, django-tasks-db: the queue is a
database table, no broker) runs :func:`run`: the same :func:`excel.import_workbook` as the upload page — the
workbook streamed row by row, progress written every :data:`excel.PROGRESS_EVERY` rows, the draft saved and
validated through the services — and records the result: ``done`` with the draft, its rows and errors, or
``failed`` with the located findings (both languages) or the refusal's message. The page
``reporting:import_job`` shows it and polls (htmx) until it is finished.

A job runs once: the queued → running step is a conditional update, so a task delivered twice does nothing the
second time.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.files import File
from django.db.models import F
from django.utils import timezone

from . import excel, services
from .models import ImportJob, ValidationIssue

log = logging.getLogger(__name__)

Status = ImportJob.Status
#: the share of the progress bar reading the file takes (saving and validating take the rest)
READ_SHARE = 90
INTERNAL_ERROR = (
    "导入时发生内部错误，文件未导入；请重试或联系平台 / an internal error stopped the import; nothing was saved"
)


def runs_in_background(upload: Any) -> excel.UploadPlan:
    """The plan for an upload (``.background``: import it with a job)."""
    return excel.upload_plan(upload)


def start(user: Any, enterprise: Any, year: int, month: int, upload: Any, plan: excel.UploadPlan) -> ImportJob:
    """Store the upload and enqueue its import; returns the queued job (the caller redirects to its page)."""
    from .tasks import run_import

    if hasattr(upload, "seek"):
        upload.seek(0)
    job = ImportJob(
        enterprise=enterprise,
        year=year,
        month=month,
        created_by=user,
        file_name=str(getattr(upload, "name", "") or "upload.xlsx")[:255],
        file_size=plan.size,
        rows_declared=plan.rows,
    )
    job.file.save(job.file_name, upload, save=False)
    job.save()
    result = run_import.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def run(job_id: int) -> str:
    """The job's work (called by the task): import the stored workbook and record the result; the status."""
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), progress=1
    )
    job = ImportJob.objects.select_related("enterprise", "created_by").get(pk=job_id)
    if not claimed:
        return str(job.status)  # already run (or running): a task delivered twice
    total = job.rows_declared or 0

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_read=F("rows_read") + rows)
        if total:
            read = ImportJob.objects.values_list("rows_read", flat=True).get(pk=job_id)
            share = max(1, min(READ_SHARE, read * READ_SHARE // total))
            ImportJob.objects.filter(pk=job_id).update(progress=share)

    fields: dict[str, Any]
    try:
        with job.file.open("rb") as fh:
            upload = File(fh, name=job.file_name)
            saved = excel.import_workbook(job.created_by, job.enterprise, job.year, job.month, upload, progress)
    except (excel.WorkbookInvalid, services.DraftInvalid) as exc:
        fields = {"status": Status.FAILED, "findings": _findings(exc.findings)}
    except services.WorkflowError as exc:
        fields = {"status": Status.FAILED, "message": str(exc)}
    except Exception:
        log.exception("import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED, message=INTERNAL_ERROR, finished_at=timezone.now()
        )
        raise  # the task's result records the error too
    else:
        fields = {
            "status": Status.DONE,
            "submission": saved,
            "activities": saved.activities.count(),
            "errors": saved.issues.filter(severity=ValidationIssue.Severity.ERROR).count(),
            "progress": 100,
        }
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
    return str(fields["status"])


def _findings(findings: Any) -> list[dict[str, Any]]:
    """The findings as stored: both languages (the page picks one)."""
    rows = excel.findings_for(findings, "zh")
    for row in rows:
        row.pop("message", None)
    return rows[: excel.MAX_FINDINGS]


def findings_in(job: ImportJob, lang: str) -> list[dict[str, Any]]:
    """A failed job's findings for the page, with ``message`` in the user's language."""
    key = "message_en" if lang.startswith("en") else "message_zh"
    return [{**row, "message": row.get(key, "")} for row in job.findings or []]
