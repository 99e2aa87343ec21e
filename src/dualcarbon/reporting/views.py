"""Reporting pages (thin): they read through ``reporting.scoping`` and write through the services.

Enterprise staff work on their enterprise's months (``?org=<id>`` chooses among several); verifiers
and government staff see the versions assigned to / inside their remit and verify or lock them.
Bad input is shown on the page and nothing is half-saved (imports and drafts are atomic).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.engine.factors import Catalog
from dualcarbon.engine.inputs import PARAMETER_COLUMNS
from dualcarbon.registry import access
from dualcarbon.registry import services as registry_services
from dualcarbon.registry.models import Organisation

from . import excel, hooks, imports, queries, scoping, services
from .forms import (
    ActivityForm,
    ActivityFormSet,
    CorrectionForm,
    DischargeForm,
    EconomicForm,
    EvidenceForm,
    GenerationForm,
    GenerationFormSet,
    OffsetForm,
    OffsetFormSet,
    ProductionFormSet,
    ReviewForm,
    UploadForm,
    draft_data,
)
from .models import EconomicRecord, Evidence, GenerationRecord, OffsetRecord, Submission, ValidationIssue
from .validators import POLLUTANTS

Status = Submission.Status


# ------------------------------------------------------------------------------------------------
# helpers


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


def _maybe_url(name: str, *args: Any) -> str | None:
    """A URL of another app that may not be wired yet (then no link is shown)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _check_period(year: int, month: int) -> None:
    """The services' rule for a month (the API answers 400 with the same message; a page that is not there, 404)."""
    if not services.valid_period(year, month):
        raise Http404(_("报告期无效"))


def _my_enterprises(user: Any) -> list[Organisation]:
    """The enterprises the user reports for (their own), by name."""
    ids = sorted(access.actor_for(user).enterprise_ids)
    return list(scoping.enterprises(user).filter(pk__in=ids).order_by("name")) if ids else []


def _enterprise(request: HttpRequest) -> Organisation:
    """The enterprise the page is about: ``?org=`` (must be one the user reports for) or their first.

    Refused: a read (GET) answers 404, exactly like a missing enterprise; a write is refused with 403."""
    ref = request.POST.get("org") or request.GET.get("org")
    mine = _my_enterprises(request.user)
    refuse = Http404 if request.method in ("GET", "HEAD") else PermissionDenied
    if ref:
        org = next((o for o in mine if str(o.pk) == str(ref)), None)
        if org is None or not scoping.can_report_for(request.user, org):
            raise refuse(_("您无权为该企业填报"))
        return org
    if not mine:
        raise refuse(_("只有企业填报人员可以填报"))
    return mine[0]


def _period_url(org: Organisation, year: int, month: int, name: str = "reporting:period") -> str:
    return f"{reverse(name, args=[year, month])}?org={org.pk}"


def _issues(qs: Any) -> list[dict[str, Any]]:
    en = _lang() == "en"
    return [
        {
            "severity": i.severity,
            "severity_label": i.get_severity_display(),
            "rule": i.rule,
            "sheet": i.sheet,
            "row": i.row,
            "column": i.column,
            "column_label": excel.column_name(i.column, _lang()),
            "message": i.message_en if en else i.message_zh,
        }
        for i in qs
    ]


def _show(value: Any) -> str:
    """A stored decimal as the user typed it (full precision, no trailing zeros, no exponent)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _shown(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _show(v) if isinstance(v, Decimal) else v for k, v in rec.items()}


def _records(sub: Submission | None) -> dict[str, Any]:
    if sub is None:
        return {"activities": [], "production": [], "economic": None, "generation": [], "offsets": [], "discharge": []}
    lang = _lang()
    acts = list(sub.activities.all())
    for a in acts:
        a.source_type_label = excel.source_type_label(a.source_type, lang)  # type: ignore[attr-defined]
        a.params = [  # type: ignore[attr-defined]
            (f, _show(getattr(a, f))) for f in PARAMETER_COLUMNS if getattr(a, f) not in (None, "")
        ]
    technologies, uses = dict(GenerationRecord.Technology.choices), dict(GenerationRecord.Use.choices)
    generation = list(sub.generation.all())
    for g in generation:
        g.technology_label = technologies.get(g.technology, g.technology)  # type: ignore[attr-defined]
        g.use_label = uses.get(g.use, g.use)  # type: ignore[attr-defined]
    kinds, origins = dict(OffsetRecord.Kind.choices), dict(OffsetRecord.Origin.choices)
    statuses = dict(OffsetRecord.Status.choices)
    offsets = list(sub.offsets.all())
    for o in offsets:
        o.kind_label = kinds.get(o.kind, o.kind)  # type: ignore[attr-defined]
        o.origin_label = origins.get(o.origin, o.origin)  # type: ignore[attr-defined]
        o.status_label = statuses.get(o.status, o.status)  # type: ignore[attr-defined]
    return {
        "activities": acts,
        "production": list(sub.production.all()),
        "economic": EconomicRecord.objects.filter(submission=sub).first(),
        "generation": generation,
        "offsets": offsets,
        "discharge": [
            {"factor": d.factor, "label": _pollutant_label(d.factor), "quantity": d.quantity}
            for d in sub.discharge.all()
        ],
    }


def _pollutant_label(code: str) -> str:
    names = POLLUTANTS.get(code)
    return code if names is None else (names[1] if _lang() == "en" else names[0])


def _entry(user: Any, sub: Submission | None, current_only: bool = True) -> Any:
    if sub is None:
        return None
    return hooks.account_of(user, sub, current_only)


def _month_name(month: int) -> str:
    return calendar.month_abbr[month] if _lang() == "en" else f"{month}月"


# ------------------------------------------------------------------------------------------------
# index: months of a year (enterprise), work queues (verifier, government)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        year = today.year
    ctx: dict[str, Any] = {"year": year, "years": list(range(today.year - 4, today.year + 1))[::-1]}
    mine = _my_enterprises(user)
    if mine:
        org = _enterprise(request)
        subs = scoping.submissions(user).filter(enterprise=org, period__year=year).select_related("period")
        by_month: dict[int, list[Submission]] = {}
        for s in subs.order_by("version"):
            by_month.setdefault(s.period.month, []).append(s)
        months = []
        for m in range(1, 13):
            versions = by_month.get(m, [])
            draft = next((s for s in versions if s.status == Status.DRAFT), None)
            current = next((s for s in versions if s.is_current), None)
            months.append(
                {
                    "month": m,
                    "name": _month_name(m),
                    "label": f"{year}-{m:02d}",
                    "current": current,
                    "draft": draft,
                    "future": (year, m) > (today.year, today.month),
                    "url": _period_url(org, year, m),
                    "edit_url": _period_url(org, year, m, "reporting:edit"),
                    "template_url": _period_url(org, year, m, "reporting:template"),
                }
            )
        ctx.update(org=org, enterprises=mine, months=months)
    actor = access.actor_for(user)
    if actor.verifier_ids:
        waiting = (
            scoping.submissions(user)
            .filter(status=Status.SUBMITTED, is_current=True)
            .select_related("enterprise", "period")
            .order_by("-submitted_at")[:200]
        )
        ctx["to_verify"] = [s for s in waiting if scoping.can_verify(user, s.enterprise_id)]
    if scoping.can_see_region(user):
        ctx.update(_government_list(request))
    return render(request, "reporting/index.html", ctx)


def _government_list(request: HttpRequest) -> dict[str, Any]:
    """The government's 数据报送 list: filters, one page of current versions, the bulk lock's choices."""
    districts = queries.district_options(request.user)
    filters = queries.ListFilters.from_query(request.GET, districts)
    page = queries.government_list(request.user, filters, request.GET.get("page"))
    return {
        "gov_list": True,
        "gov_page": page,
        "awaiting_verification": scoping.submissions(request.user)
        .filter(status=Status.SUBMITTED, is_current=True)
        .filter(access.jurisdiction_q(request.user, "enterprise__region_id"))
        .count(),
        "gov_rows": list(page.object_list),
        "gov_filters": filters,
        "gov_prev": filters.query(page.previous_page_number()) if page.has_previous() else None,
        "gov_next": filters.query(page.next_page_number()) if page.has_next() else None,
        "districts": districts,
        "statuses": [(s, Status(s).label) for s in queries.CURRENT_STATUSES],
        "months_all": [(m, _month_name(m)) for m in range(1, 13)],
    }


# ------------------------------------------------------------------------------------------------
# one month of the enterprise


def _render_period(
    request: HttpRequest, org: Organisation, year: int, month: int, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    versions = list(
        scoping.submissions(user)
        .filter(enterprise=org, period__year=year, period__month=month)
        .select_related("created_by", "submitted_by", "reviewed_by")
        .order_by("version")
    )
    draft = next((s for s in versions if s.status == Status.DRAFT), None)
    current = next((s for s in versions if s.is_current), None)
    shown = draft or current
    issues = _issues(shown.issues.all()) if shown else []
    ctx: dict[str, Any] = {
        "org": org,
        "enterprises": _my_enterprises(user),
        "year": year,
        "month": month,
        "label": f"{year}-{month:02d}",
        "versions": versions,
        "draft": draft,
        "current": current,
        "shown": shown,
        "issues": issues,
        "n_errors": sum(1 for i in issues if i["severity"] == ValidationIssue.Severity.ERROR),
        "n_warnings": sum(1 for i in issues if i["severity"] == ValidationIssue.Severity.WARNING),
        "evidence": list(shown.evidence.all().order_by("-uploaded_at")) if shown else [],
        "entry": _entry(user, current),
        "entry_url": None,
        "can_edit": draft is not None or not versions,
        "can_submit": draft is not None,
        "can_correct": draft is None and current is not None and current.status != Status.LOCKED,
        # the verifier sent the current version back (退回) or rejected it (驳回): the enterprise reads why
        "reviewed": current if current is not None and current.status in (Status.RETURNED, Status.REJECTED) else None,
        "org_query": f"?org={org.pk}",
        "upload_form": extra.pop("upload_form", None) or UploadForm(),
        "correction_form": extra.pop("correction_form", None) or CorrectionForm(),
        "evidence_form": extra.pop("evidence_form", None) or EvidenceForm(),
        **_records(shown),
    }
    if ctx["entry"] is not None:
        ctx["entry_url"] = _maybe_url("accounting:entry", ctx["entry"].pk)
    ctx["enterprise_url"] = _maybe_url("accounting:enterprise", org.pk)
    ctx.update(extra)
    return render(request, "reporting/period.html", ctx, status=status)


@login_required
@require_GET
def period(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    return _render_period(request, _enterprise(request), year, month)


def _item_suggestions(org: Organisation) -> list[str]:
    names = [ln.item for ln in excel.industry_lines(org)]
    try:
        catalog = Catalog(registry_services.method_options(org.region_id or ""))
        names += sorted({i.name_zh for i in catalog.items.values()})
    except Exception:  # a misconfigured policy must not break the editor
        pass
    return list(dict.fromkeys(names))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    user = request.user
    org = _enterprise(request)
    versions = scoping.submissions(user).filter(enterprise=org, period__year=year, period__month=month)
    draft = versions.filter(status=Status.DRAFT).order_by("-version").first()
    if draft is None and versions.exists():
        messages.error(request, _("该月已提交；如需修改请发起更正（需填写原因）"))
        return HttpResponseRedirect(_period_url(org, year, month))
    problems: list[dict[str, Any]] = []
    if request.method == "POST":
        acts = ActivityFormSet(request.POST, prefix="act")
        prods = ProductionFormSet(request.POST, prefix="prod")
        econ = EconomicForm(request.POST, prefix="econ")
        gens = GenerationFormSet(request.POST, prefix="gen")
        offs = OffsetFormSet(request.POST, prefix="off")
        dis = DischargeForm(request.POST, prefix="dis")
        if all(f.is_valid() for f in (acts, prods, econ, gens, offs, dis)):
            data = services.DraftData(**draft_data(acts, prods, econ, gens, offs, dis))
            try:  # a new draft and its records, or nothing (one transaction, the month locked)
                saved = services.write_draft(user, org, year, month, data, channel=Submission.Channel.WEB)
            except services.DraftInvalid as exc:
                problems = excel.findings_for(exc.findings, _lang())
            except services.Conflict as exc:  # submitted meanwhile, or another request is writing the month
                messages.error(request, str(exc))
                return _render_period(request, org, year, month, status=409)
            except services.WorkflowError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(_period_url(org, year, month))
            else:
                issues = services.validate_or_show(saved)
                n_err = sum(1 for i in issues if i.severity == ValidationIssue.Severity.ERROR)
                if n_err:
                    messages.warning(request, _("草稿已保存；有 %(n)d 处错误，改正后才能提交") % {"n": n_err})
                else:
                    messages.success(request, _("草稿已保存"))
                return HttpResponseRedirect(_period_url(org, year, month))
        status = 400
    else:
        status = 200
        if draft is not None and draft.activities.exists():
            act_initial = list(
                draft.activities.values(
                    "source_type",
                    "item",
                    "quantity",
                    "unit",
                    *ActivityForm.PARAMS,
                )
            )
        else:
            act_initial = [
                {"source_type": ln.source_type, "item": ln.item, "unit": ln.unit} for ln in excel.industry_lines(org)
            ]
        if draft is not None and draft.production.exists():
            prod_initial: list[dict[str, Any]] = [
                dict(p) for p in draft.production.values("product", "quantity", "unit")
            ]
        else:
            prod_initial = [{"product": p, "unit": u} for p, u in excel.industry_products(org)]
        econ_initial = (
            EconomicRecord.objects.filter(submission=draft).values("value_added", "output_value", "revenue").first()
            if draft is not None
            else None
        )
        for rec in act_initial:
            rec["param_basis"] = excel.basis_code(rec.get("param_basis"))
        acts = ActivityFormSet(prefix="act", initial=[_shown(r) for r in act_initial])
        prods = ProductionFormSet(prefix="prod", initial=[_shown(r) for r in prod_initial])
        econ = EconomicForm(prefix="econ", initial=_shown(econ_initial or {}))
        claims = (
            services.claims_of(draft) if draft is not None else {"generation": [], "offsets": [], "discharge": []}
        )
        dis = DischargeForm(prefix="dis", initial=_shown(DischargeForm.initial_from(claims["discharge"])))
        gens = GenerationFormSet(
            prefix="gen", initial=[_shown({k: r[k] for k in GenerationForm.FIELDS}) for r in claims["generation"]]
        )
        offs = OffsetFormSet(
            prefix="off", initial=[_shown({k: r[k] for k in OffsetForm.FIELDS}) for r in claims["offsets"]]
        )
    return render(
        request,
        "reporting/edit.html",
        {
            "org": org,
            "year": year,
            "month": month,
            "label": f"{year}-{month:02d}",
            "draft": draft,
            "activities": acts,
            "production": prods,
            "economic": econ,
            "generation": gens,
            "offsets": offs,
            "discharge": dis,
            "problems": problems,
            "items": _item_suggestions(org),
            "units": excel.UNIT_CHOICES,
            "org_query": f"?org={org.pk}",
        },
        status=status,
    )


@login_required
@require_GET
def template(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    user = request.user
    org = _enterprise(request)
    versions = scoping.submissions(user).filter(enterprise=org, period__year=year, period__month=month)
    shown = versions.filter(status=Status.DRAFT).first() or versions.filter(is_current=True).first()
    data = None
    if shown is not None and shown.activities.exists():
        data = services.DraftData(
            activities=[dict(a) for a in shown.activities.values()],
            production=[dict(p) for p in shown.production.values()],
            economic=dict(EconomicRecord.objects.filter(submission=shown).values().first() or {}),
            **services.claims_of(shown),
        )
    content = excel.build_template(org, year, month, data)
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, excel.template_filename(org, year, month))
    return response


@login_required
@require_POST
def upload(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    org = _enterprise(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_period(request, org, year, month, status=400, upload_form=form)
    # a large file is imported by a background job: the request returns at once, the job's page shows progress
    plan = imports.runs_in_background(form.cleaned_data["file"])
    if plan.background:
        job = imports.start(request.user, org, year, month, form.cleaned_data["file"], plan)
        return HttpResponseRedirect(reverse("reporting:import_job", args=[job.pk]))
    try:
        saved = excel.import_workbook(request.user, org, year, month, form.cleaned_data["file"])
    except excel.WorkbookInvalid as exc:
        return _render_period(
            request, org, year, month, status=400, upload_problems=excel.findings_for(exc.findings, _lang())
        )
    except services.DraftInvalid as exc:
        return _render_period(
            request, org, year, month, status=400, upload_problems=excel.findings_for(exc.findings, _lang())
        )
    except services.WorkflowError as exc:
        return _render_period(request, org, year, month, status=400, upload_message=str(exc))
    n_err = saved.issues.filter(severity=ValidationIssue.Severity.ERROR).count()
    n = saved.activities.count()
    if n_err:
        messages.warning(request, _("已导入 %(n)d 行活动数据；有 %(e)d 处错误，改正后才能提交") % {"n": n, "e": n_err})
    else:
        messages.success(request, _("已导入 %(n)d 行活动数据") % {"n": n})
    return HttpResponseRedirect(_period_url(org, year, month))


@login_required
@require_POST
def submit(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    user = request.user
    org = _enterprise(request)
    draft = (
        scoping.submissions(user)
        .filter(enterprise=org, period__year=year, period__month=month, status=Status.DRAFT)
        .first()
    )
    if draft is None:  # nothing to submit (or another request submitted it a moment ago): the month's state
        messages.error(request, _("该月没有待提交的草稿"))
        return _render_period(request, org, year, month, status=409)
    try:
        sub = services.submit(user, draft)
    except services.BlockedByErrors as exc:
        services.validate(draft)  # the refused submit rolled back; keep its findings on the page
        messages.error(request, str(exc))
    except services.Conflict as exc:  # another request submitted it first, or holds the month
        messages.error(request, str(exc))
        return _render_period(request, org, year, month, status=409)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        entry = _entry(user, sub)
        if entry is not None:
            messages.success(
                request,
                _("已提交第 %(v)d 版；本月排放 %(t)s tCO2e") % {"v": sub.version, "t": f"{entry.total_tco2e:,.2f}"},
            )
        else:
            messages.success(request, _("已提交第 %(v)d 版") % {"v": sub.version})
    return HttpResponseRedirect(_period_url(org, year, month))


@login_required
@require_POST
def correct(request: HttpRequest, year: int, month: int) -> HttpResponse:
    _check_period(year, month)
    user = request.user
    org = _enterprise(request)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _render_period(request, org, year, month, status=400, correction_form=form)
    current = (
        scoping.submissions(user)
        .filter(enterprise=org, period__year=year, period__month=month, is_current=True)
        .first()
    )
    if current is None:
        messages.error(request, _("该月尚未提交，无需更正"))
        return HttpResponseRedirect(_period_url(org, year, month))
    try:
        new = services.correct(user, current, form.cleaned_data["reason"])
    except services.WorkflowError as exc:
        return _render_period(request, org, year, month, status=400, correction_message=str(exc), correction_form=form)
    messages.success(request, _("已创建更正草稿（第 %(v)d 版），修改后请重新提交") % {"v": new.version})
    return HttpResponseRedirect(_period_url(org, year, month))


# ------------------------------------------------------------------------------------------------
# one version (anyone who may read it), evidence, verify, lock


@login_required
@require_GET
def version(request: HttpRequest, pk: int) -> HttpResponse:
    sub = get_object_or_404(scoping.submissions(request.user).select_related("enterprise", "period"), pk=pk)
    return _render_version(request, sub)


def _steps(versions: list[Submission]) -> list[dict[str, Any]]:
    """Every step of the period's versions, in order: who, when, and the reason or the verifier's comment."""
    steps: list[dict[str, Any]] = []
    for v in versions:
        reviewed = pgettext("处理记录", "退回") if v.status == Status.RETURNED else pgettext("处理记录", "驳回")
        rows = [
            (
                pgettext("处理记录", "发起更正") if v.version > 1 else pgettext("处理记录", "创建草稿"),
                v.created_by,
                v.created_at,
                v.reason,
                "created",
            ),
            (pgettext("处理记录", "提交"), v.submitted_by, v.submitted_at, "", "submitted"),
            (pgettext("处理记录", "核查通过"), v.verified_by, v.verified_at, "", "verified"),
            (reviewed, v.reviewed_by, v.reviewed_at, v.review_comment, v.status),
            (pgettext("处理记录", "锁定"), v.locked_by, v.locked_at, "", "locked"),
        ]
        for action, who, when, comment, code in rows:
            if when is not None:
                steps.append(
                    {"version": v, "action": action, "who": who, "when": when, "comment": comment, "code": code}
                )
    return steps


def _render_version(request: HttpRequest, sub: Submission, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    issues = _issues(sub.issues.all())
    entry = _entry(user, sub, current_only=False)
    siblings = list(
        scoping.submissions(user)
        .filter(period=sub.period)
        .select_related("created_by", "submitted_by", "verified_by", "reviewed_by", "locked_by")
        .order_by("version")
    )
    reviewable = sub.status == Status.SUBMITTED and sub.is_current and scoping.can_verify(user, sub.enterprise_id)
    ctx = {
        "sub": sub,
        "org": sub.enterprise,
        "label": sub.period.label,
        "issues": issues,
        "evidence": list(sub.evidence.all().order_by("-uploaded_at")),
        "entry": entry,
        "entry_url": _maybe_url("accounting:entry", entry.pk) if entry is not None else None,
        "versions": siblings,
        "steps": _steps(siblings),
        "can_verify": reviewable,
        "can_review": reviewable,
        "review_form": extra.pop("review_form", None) or ReviewForm(),
        "can_lock": sub.status == Status.VERIFIED and scoping.can_see_region(user),
        "is_reporter": scoping.can_report_for(user, sub.enterprise_id),
        "period_url": _period_url(sub.enterprise, sub.period.year, sub.period.month),
        **_records(sub),
    }
    ctx.update(extra)
    return render(request, "reporting/version.html", ctx, status=status)


@login_required
@require_POST
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    sub = get_object_or_404(scoping.submissions(user).select_related("enterprise", "period"), pk=pk)
    if not scoping.can_report_for(user, sub.enterprise_id):
        raise PermissionDenied(_("您无权为该企业填报"))
    year, month = sub.period.year, sub.period.month
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_period(request, sub.enterprise, year, month, status=400, evidence_form=form)
    try:
        services.attach_evidence(user, sub, form.cleaned_data["file"], form.cleaned_data["kind"])
    except services.WorkflowError as exc:
        return _render_period(request, sub.enterprise, year, month, status=400, evidence_message=str(exc))
    messages.success(request, _("证明材料已上传"))
    return HttpResponseRedirect(_period_url(sub.enterprise, year, month))


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    ev = get_object_or_404(Evidence, pk=pk, submission__in=scoping.submissions(request.user).values("pk"))
    return FileResponse(ev.file.open("rb"), as_attachment=True, filename=ev.original_name, content_type=ev.content_type)


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    sub = get_object_or_404(scoping.submissions(request.user), pk=pk)
    try:
        services.verify(request.user, sub)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已核查"))
    return HttpResponseRedirect(reverse("reporting:version", args=[sub.pk]))


@login_required
@require_POST
def lock(request: HttpRequest, pk: int) -> HttpResponse:
    sub = get_object_or_404(scoping.submissions(request.user), pk=pk)
    try:
        services.lock(request.user, sub)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已锁定"))
    return HttpResponseRedirect(reverse("reporting:version", args=[sub.pk]))


def _review(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Return (退回) or reject (驳回) a submitted version with a comment: the assigned verifier only (403 for the
    others who may read it); without a comment the page answers 400 with the error at the comment, nothing changed."""
    user = request.user
    sub = get_object_or_404(scoping.submissions(user).select_related("enterprise", "period"), pk=pk)
    if not scoping.can_verify(user, sub.enterprise_id):
        raise PermissionDenied(_("您未被指派核查该企业"))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_version(request, sub, status=400, review_form=form)
    comment = form.cleaned_data["comment"]
    try:
        if action == Status.RETURNED:
            services.return_to_enterprise(user, sub, comment)
        else:
            services.reject(user, sub, comment)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return _render_version(request, sub, status=409, review_form=form)
    messages.success(request, _("已退回企业更正") if action == Status.RETURNED else _("已驳回"))
    return HttpResponseRedirect(reverse("reporting:version", args=[sub.pk]))


@login_required
@require_POST
def return_submission(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, Status.RETURNED)


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, Status.REJECTED)


@login_required
@require_POST
def bulk_lock(request: HttpRequest) -> HttpResponse:
    """Lock the verified versions ticked in the government's list, each through ``services.lock``; the message says
    how many were locked and which were refused, and why. Only the region's government and the admin (403)."""
    user = request.user
    if not scoping.can_see_region(user):
        raise PermissionDenied(_("只有辖区政府或平台管理员可以锁定"))
    wanted = [int(v) for v in request.POST.getlist("submission") if v.strip().isdigit()]
    found = {s.pk: s for s in scoping.submissions(user).filter(pk__in=wanted).select_related("enterprise", "period")}
    result = services.lock_many(user, [found[pk] for pk in dict.fromkeys(wanted) if pk in found])
    missing = [pk for pk in dict.fromkeys(wanted) if pk not in found]
    if not wanted:
        messages.error(request, _("请先勾选要锁定的报送"))
    else:
        messages.success(request, _("已锁定 %(n)d 个报送") % {"n": len(result.locked)})
    for sub, reason in result.refused:
        messages.error(
            request,
            _("未锁定 %(org)s %(period)s 第 %(v)d 版：%(reason)s")
            % {"org": sub.enterprise.name, "period": sub.period.label, "v": sub.version, "reason": reason},
        )
    for pk in missing:
        messages.error(request, _("未锁定 #%(pk)d：报送不存在") % {"pk": pk})
    back = queries.ListFilters.from_query(request.POST, queries.district_options(user)).params()
    page = request.POST.get("page", "")
    if page.isdigit():
        back["page"] = page
    return HttpResponseRedirect(reverse("reporting:index") + ("?" + urlencode(back) if back else ""))
