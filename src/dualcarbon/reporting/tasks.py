"""Background tasks of the reporting app (django-tasks; the worker is ``dualcarbon db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import imports


@task()
def run_import(job_id: int) -> str:
    """Import the workbook stored in ImportJob ``job_id`` (:func:`dualcarbon.reporting.imports.run`)."""
    return imports.run(job_id)
