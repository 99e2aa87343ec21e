"""The page of a background Excel import (:mod:`dualcarbon.reporting.imports`): its progress while it runs
(htmx polls the status fragment every second) and its result when it is finished."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import imports, scoping


@login_required
@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(scoping.import_jobs(request.user).select_related("enterprise", "submission"), pk=job_id)
    lang = "en" if (get_language() or "zh").startswith("en") else "zh"
    context = {
        "job": job,
        "org": job.enterprise,
        "label": f"{job.year}-{job.month:02d}",
        "period_url": f"{reverse('reporting:period', args=[job.year, job.month])}?org={job.enterprise_id}",
        "findings": imports.findings_in(job, lang),
        "poll_url": request.path,
    }
    fragment = bool(getattr(request, "htmx", False))
    return render(request, "reporting/_import_job.html" if fragment else "reporting/import_job.html", context)
