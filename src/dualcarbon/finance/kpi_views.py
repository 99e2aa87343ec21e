"""Pages of KPI-linked loans, the bank's alerts, CERF and PCAF (thin, docs/finance.md): the bank adds KPIs to its
loan, enters external scores with evidence, names the certified project a loan finances, reads its alerts, its
quarter's CERF figures and its book's financed emissions (each with an export for the verifier); the enterprise
reads its loan's KPIs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.registry import access

from . import disclosure, kpi, scoping
from . import loan_queries as q
from .models import CertApplication, CertKind, KpiMetric, Loan, LoanProject
from .posting import post_to_service, posted


def kpi_context(loan: Loan) -> dict[str, Any]:
    """The loan's KPIs with their evaluations, its rate now and how it is made, and its rate history."""
    rate, parts = kpi.kpi_rate(loan)
    kpis = list(loan.kpis.select_related("project").prefetch_related("evaluations", "scores"))
    changes = list(loan.rate_changes.select_related("evaluation__kpi"))
    return {
        "kpis": [(k, list(k.evaluations.all()), list(k.scores.all())) for k in kpis],
        "kpi_rate": rate,
        "base_rate": kpi.base_rate(loan),
        "rate_parts": [(k, ev) for k, ev in parts if ev is not None],
        "rate_history": [(c, kpi.step_reason(c)) for c in changes],
    }


def _loan_forms(loan: Loan) -> dict[str, Any]:
    return {
        "metrics": KpiMetric.choices,
        "units": kpi.UNITS,
        "projects": list(
            CertApplication.objects.filter(enterprise_id=loan.enterprise_id, kind=CertKind.PROJECT, status="certified")
        ),
        "external_kpis": [k for k in loan.kpis.all() if k.metric == KpiMetric.EXTERNAL],
        "link": LoanProject.objects.filter(loan=loan).select_related("project").first(),
    }


def _bank_loan_page(request: HttpRequest, loan: Loan, errors: dict[str, list[str]], form: str) -> HttpResponse:
    return render(
        request,
        "finance/kpi/bank_loan_kpis.html",
        {"loan": loan, "errors": errors, "form": form, "posted": posted(request)}
        | kpi_context(loan)
        | _loan_forms(loan),
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------------------------------ the bank


@login_required
@require_http_methods(["GET", "POST"])
def bank_loan_kpis(request: HttpRequest, loan_id: int) -> HttpResponse:
    """GET: the loan's KPIs, evaluations and rate history with the forms. POST: add a KPI."""
    loan = q.bank_loan(request.user, loan_id)
    post = request.POST
    done, errors = post_to_service(
        request,
        lambda: kpi.add_kpi(
            request.user,
            loan,
            metric=post.get("metric", ""),
            name=post.get("name", ""),
            targets=post.get("targets", ""),
            step_met_bp=post.get("step_met_bp"),
            step_missed_bp=post.get("step_missed_bp"),
            unit=post.get("unit", ""),
            higher_is_better=post.get("higher_is_better", "1") == "1",
            project=post.get("project") or None,
            source=post.get("source", ""),
        ),
        done=lambda k: _("已添加挂钩指标“%(k)s”") % {"k": k.name},
        to=reverse("finance:bank_loan_kpis", args=[loan.pk]),
    )
    return done or _bank_loan_page(request, loan, errors, "kpi")


@login_required
@require_POST
def kpi_score(request: HttpRequest, loan_id: int) -> HttpResponse:
    """Enter an external score with its evidence file for one of the loan's KPIs."""
    loan = q.bank_loan(request.user, loan_id)

    def enter() -> Any:
        kid = request.POST.get("kpi", "")
        k = loan.kpis.filter(pk=int(kid)).first() if kid.isdigit() else None
        if k is None:
            raise ValidationError({"kpi": _("请选择本笔贷款的外部评分指标")})
        return kpi.enter_score(
            request.user,
            k,
            year=request.POST.get("year", ""),
            value=request.POST.get("value", ""),
            evidence=request.FILES.get("evidence"),
            evidence_note=request.POST.get("evidence_note", ""),
        )

    done, errors = post_to_service(
        request, enter, done=_("已录入评分并完成评估"), to=reverse("finance:bank_loan_kpis", args=[loan.pk])
    )
    return done or _bank_loan_page(request, loan, errors, "score")


@login_required
@require_POST
def loan_project(request: HttpRequest, loan_id: int) -> HttpResponse:
    """Name the certified project the loan finances and the project's total financing (CERF)."""
    loan = q.bank_loan(request.user, loan_id)
    done, errors = post_to_service(
        request,
        lambda: disclosure.link_project(
            request.user,
            loan,
            project=request.POST.get("project") or None,
            project_financing=request.POST.get("project_financing", ""),
            source=request.POST.get("source", ""),
        ),
        done=_("已关联认定项目"),
        to=reverse("finance:bank_loan_kpis", args=[loan.pk]),
    )
    return done or _bank_loan_page(request, loan, errors, "project")


def _require_bank(user: Any) -> None:
    if not access.actor_for(user).bank_ids:
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def bank_alerts(request: HttpRequest) -> HttpResponse:
    """GET: the bank's alerts (a KPI missed, a borrower downgraded), unread first. POST: mark one read."""
    _require_bank(request.user)
    if request.method == "POST":
        aid = request.POST.get("alert", "")
        alert = get_object_or_404(scoping.bank_alerts(request.user), pk=int(aid) if aid.isdigit() else 0)
        done, _e = post_to_service(
            request,
            lambda: kpi.mark_read(request.user, alert),
            done=_("已标记为已读"),
            to=reverse("finance:bank_alerts"),
        )
        assert done is not None
        return done
    rows = list(scoping.bank_alerts(request.user).select_related("loan__enterprise").order_by("read_at", "-created_at"))
    return render(request, "finance/kpi/bank_alerts.html", {"alerts": rows})


def _year(request: HttpRequest, default: int) -> int:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else default


def _bank(request: HttpRequest) -> Any:
    banks = list(scoping.user_banks(request.user))
    if not banks:
        raise Http404
    bid = request.GET.get("bank", "")
    return next((b for b in banks if str(b.pk) == bid), banks[0]), banks


def _export(request: HttpRequest, name: str, head: list[str], body: list[list[Any]]) -> HttpResponse | None:
    fmt = request.GET.get("format", "")
    if fmt == "csv":
        resp = HttpResponse(disclosure.to_csv(head, body), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return resp
    if fmt == "xlsx":
        resp = HttpResponse(
            disclosure.to_xlsx(name, head, body),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return resp
    return None


@login_required
@require_GET
def cerf(request: HttpRequest) -> HttpResponse:
    """The bank's CERF figures of a quarter (``?year=&quarter=``; ``&format=csv|xlsx``: the verifier's export)."""
    bank, banks = _bank(request)
    today = timezone.localdate()
    year = _year(request, today.year)
    qt = request.GET.get("quarter", "")
    quarter = int(qt) if qt in ("1", "2", "3", "4") else (today.month - 1) // 3 + 1
    c = disclosure.cerf(bank, year, quarter)
    head, body = disclosure.cerf_table(c)
    return _export(request, f"CERF-{year}Q{quarter}", head, body) or render(
        request,
        "finance/kpi/cerf.html",
        {"c": c, "banks": banks, "years": range(today.year, today.year - 4, -1), "quarters": (1, 2, 3, 4)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def pcaf(request: HttpRequest) -> HttpResponse:
    """GET: the bank's financed emissions (``?year=``; ``&format=csv|xlsx``). POST: enter a borrower's equity and
    debt."""
    bank, banks = _bank(request)
    today = timezone.localdate()
    year = _year(request, today.year - 1)
    done, errors = post_to_service(
        request,
        lambda: disclosure.enter_financials(
            request.user,
            request.POST.get("bank") or bank.pk,
            request.POST.get("enterprise", ""),
            as_of=request.POST.get("as_of", ""),
            equity=request.POST.get("equity", ""),
            debt=request.POST.get("debt", ""),
            source=request.POST.get("source", ""),
        ),
        done=_("已录入权益与负债"),
        to=reverse("finance:pcaf") + f"?year={year}",
    )
    if done:
        return done
    p = disclosure.pcaf(bank, year)
    head, body = disclosure.pcaf_table(p)
    exported = _export(request, f"PCAF-{year}", head, body) if request.method == "GET" else None
    borrowers = sorted({r.loan.enterprise for r in p.rows}, key=lambda o: o.pk)
    return exported or render(
        request,
        "finance/kpi/pcaf.html",
        {
            "p": p,
            "banks": banks,
            "years": range(today.year, today.year - 4, -1),
            "borrowers": borrowers,
            "errors": errors,
            "posted": posted(request),
            "today": today,
            "sector_names": _sector_names([s["sector"] for s in p.by_sector]),
        },
        status=422 if errors else 200,
    )


def _sector_names(codes: list[str]) -> dict[str, str]:
    from dualcarbon.registry.models import Industry
    from dualcarbon.ui import names

    rows = Industry.objects.filter(code__in=codes).values_list("code", "name_zh")
    return {code: names.industry_name(code, name) for code, name in rows}


# ------------------------------------------------------------------------------------------------ the enterprise


@login_required
@require_GET
def enterprise_loan_kpis(request: HttpRequest, org_id: int, loan_id: int) -> HttpResponse:
    """The enterprise's own loan: its KPIs, their evaluations and the rate history (read only)."""
    loan = get_object_or_404(q.enterprise_loans(request.user, org_id), pk=loan_id)
    return render(
        request,
        "finance/kpi/enterprise_loan_kpis.html",
        {"loan": loan, "enterprise": loan.enterprise} | kpi_context(loan),
    )
