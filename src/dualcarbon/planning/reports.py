"""The reduction plan as a Chinese PDF (A4, WeasyPrint), with the same SVG charts as the page."""

from __future__ import annotations

import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from . import charts
from .services import PlanView


def pdf_html(
    view: PlanView, url: str = "", generated: datetime.datetime | None = None, projection: Any = None
) -> str:
    target = float(view.plan.target_tco2) if view.plan.target_tco2 is not None else None
    return render_to_string(
        "planning/plan_pdf.html",
        {
            "view": view,
            "projection": projection,
            "plan": view.plan,
            "enterprise": view.plan.enterprise,
            "macc_svg": charts.macc(view.curve, width=520),
            "path_svg": charts.path(view.path, target, width=520),
            "generated": timezone.localtime(generated or timezone.now()),
            "platform_url": url,
        },
    )


def pdf(view: PlanView, url: str = "", generated: datetime.datetime | None = None, projection: Any = None) -> bytes:
    from weasyprint import HTML

    data = HTML(string=pdf_html(view, url, generated, projection)).write_pdf()  # no base URL: nothing is fetched
    assert data is not None
    return bytes(data)


def scenario_pdf(context: dict[str, Any], url: str = "", generated: datetime.datetime | None = None) -> bytes:
    """A scenario of the region's pathway as a Chinese A4 PDF (the page's charts and tables)."""
    from weasyprint import HTML

    html = render_to_string(
        "planning/scenario_pdf.html",
        {**context, "generated": timezone.localtime(generated or timezone.now()), "platform_url": url},
    )
    data = HTML(string=html).write_pdf()
    assert data is not None
    return bytes(data)
