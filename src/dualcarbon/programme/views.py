"""Programme pages (thin, docs/programme.md): the dispatch board for the leading group, the five lists (now or
on a date), an entry with its versions and its edit form, the tasks and a task's progress form, the statistics
upload and the dispatch report (PDF, Excel)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import carbon_index, esg, inventory, queries, reports, scoping, services, structure
from .models import LIST_MODELS, Group, ListEntry, Measure, Project, Task


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{'' if k == NON_FIELD_ERRORS else k + '：'}{m}" for k, v in exc.message_dict.items() for m in v]
    return [str(m) for m in exc.messages]


def _programme(request: HttpRequest, programme_id: int) -> Any:
    return services.visible_programme(request.user, programme_id)


def _nav(programme: Any) -> dict[str, Any]:
    return {"programme": programme, "kinds": [(k, m._meta.verbose_name_plural) for k, m in LIST_MODELS.items()]}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    p = services.default_programme(request.user)
    if p is None:
        raise Http404
    return HttpResponseRedirect(reverse("programme:board", args=[p.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def board(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The dispatch board. POST (the leading and working groups): run the dispatch check now."""
    programme = _programme(request, programme_id)
    if request.method == "POST":
        if not scoping.can_coordinate(request.user, programme):
            raise PermissionDenied
        r = services.check_dispatch(programme, user=request.user)
        messages.success(
            request,
            _("调度检查完成：逾期 %(o)d 项，滞后 %(r)d 项，新生成预警 %(c)d 条")
            % {"o": r.overdue, "r": r.at_risk, "c": r.created},
        )
        return HttpResponseRedirect(reverse("programme:board", args=[programme.pk]))
    summary = services.dispatch_summary(request.user, programme)
    return render(
        request,
        "programme/board.html",
        {
            **_nav(programme),
            "summary": summary,
            "sections": [
                ("by-group", _("按专班小组"), summary.by_group),
                ("by-measure", _("按举措"), summary.by_measure),
                ("by-locality", _("按属地"), summary.by_locality),
            ],
            "indicators": services.indicator_values(request.user, programme, summary.on.year),
            "can_coordinate": scoping.can_coordinate(request.user, programme),
            "lang": queries.lang(),
        },
    )


@login_required
@require_GET
def entries(request: HttpRequest, programme_id: int, kind: str) -> HttpResponse:
    programme = _programme(request, programme_id)
    if kind not in LIST_MODELS:
        raise Http404
    on, error = None, ""
    if request.GET.get("on"):
        try:
            on = datetime.date.fromisoformat(request.GET["on"])
        except ValueError:
            error = _("日期“%(v)s”不是 YYYY-MM-DD") % {"v": request.GET["on"]}
    page = queries.list_page(request.user, programme, kind, on)
    return render(
        request,
        "programme/list.html",
        {**_nav(programme), "page": page, "kind": kind, "model": LIST_MODELS[kind], "error": error},
        status=422 if error else 200,
    )


def _editable(entry: Any) -> list[tuple[str, Any, Any]]:
    """(field, label, current value as the form shows it) of the fields a change may touch."""
    out = []
    for name in (*ListEntry.COMMON, *entry.FIELDS):
        if name == "status":
            continue
        if name == "measures":
            value = ",".join(sorted(entry.measures.values_list("code", flat=True)))
            out.append((name, entry._meta.get_field(name).verbose_name, value))
            continue
        f: Any = entry._meta.get_field(name)
        value = getattr(entry, f.attname)
        if name in ("group", "fund_pool", "policy_entry") and value is not None:
            value = getattr(entry, name).code  # referred to by code, as the form takes it
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out.append((name, f.verbose_name, "" if value is None else str(value)))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, kind: str, record_id: int) -> HttpResponse:
    """An entry, its versions (who, when, why, what changed) and, for its group, the edit form (a reason is
    required)."""
    e = queries.entry(request.user, kind, record_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_edit_entry(request.user, e):
            raise PermissionDenied
        current = {name: str(v) for name, _l, v in _editable(e)}
        raw = {
            name: request.POST.get(name, "")
            for name in current
            if name in request.POST and request.POST.get(name, "") != current[name]
        }
        try:
            if request.POST.get("action") == "retire":
                services.retire_entry(request.user, e, request.POST.get("reason"))
            else:
                services.update_entry(request.user, e, raw, request.POST.get("reason"))
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, _("已保存为新版本"))
            return HttpResponseRedirect(reverse("programme:entry", args=[kind, e.pk]))
    check = services.check_project(e) if isinstance(e, Project) else None
    return render(
        request,
        "programme/entry.html",
        {
            **_nav(e.programme),
            "entry": e,
            "kind": kind,
            "fields": _editable(e),
            "history": queries.history(e),
            "can_edit": scoping.can_edit_entry(request.user, e),
            "errors": errors,
            "posted": request.POST if errors else None,
            "check": check,
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def tasks(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    f = {k: request.GET.get(k, "")[:20] for k in ("group", "locality", "status")}
    rows = queries.tasks(request.user, programme, **f)
    return render(
        request,
        "programme/tasks.html",
        {
            **_nav(programme),
            "rows": rows,
            "f": f,
            "groups": scoping.groups(request.user).filter(programme=programme),
            "statuses": [
                ("overdue", _("逾期")),
                ("at_risk", _("滞后")),
                ("on_track", _("正常")),
                ("done", _("已完成")),
            ],
            "lang": queries.lang(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task and its progress reports; POST (its group, its locality, the coordinating groups): a report."""
    t = queries.task(request.user, task_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_report(request.user, t):
            raise PermissionDenied
        try:
            services.report_progress(
                request.user, t, request.POST.get("progress"), request.POST.get("text"), request.FILES.get("evidence")
            )
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, _("进展已报告"))
            return HttpResponseRedirect(reverse("programme:task", args=[t.pk]))
    on = datetime.date.today()
    return render(
        request,
        "programme/task.html",
        {
            **_nav(t.programme),
            "task": t,
            "status": services.task_status(t, on),
            "expected": services.expected_progress(t, on),
            "reports": t.reports.select_related("reported_by"),
            "can_report": scoping.can_report(request.user, t),
            "errors": errors,
            "posted": request.POST if errors else None,
            "lang": queries.lang(),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def statistics(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The indicators of the measure tree with their sources; POST (coordinating groups): upload statistics."""
    programme = _programme(request, programme_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_coordinate(request.user, programme):
            raise PermissionDenied
        f = request.FILES.get("file")
        if f is None:
            errors = [_("请选择要上传的文件（.csv 或 .xlsx）")]
        else:
            try:
                up = services.upload_statistics(
                    request.user, programme, f.name or "", f.read(), request.POST.get("note", "")
                )
            except ValidationError as exc:
                errors = _messages(exc)
            else:
                messages.success(request, _("已导入 %(n)d 行统计数据") % {"n": up.rows})
                return HttpResponseRedirect(reverse("programme:statistics", args=[programme.pk]))
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = datetime.date.today().year
    return render(
        request,
        "programme/statistics.html",
        {
            **_nav(programme),
            "year": year,
            "years": list(range(programme.start_year, programme.end_year + 1)),
            "values": services.indicator_values(request.user, programme, year),
            "uploads": scoping.uploads(request.user).filter(programme=programme)[:10],
            "can_coordinate": scoping.can_coordinate(request.user, programme),
            "errors": errors,
            "lang": queries.lang(),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def report_pdf(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    resp = HttpResponse(reports.pdf(request.user, programme), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="programme-{programme.pk}-dispatch.pdf"'
    return resp


@login_required
@require_GET
def report_xlsx(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    resp = HttpResponse(
        reports.xlsx(request.user, programme),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="programme-{programme.pk}-dispatch.xlsx"'
    return resp


# --------------------------------------------------------------------------------------------- dual-carbon index


@login_required
@require_http_methods(["GET", "POST"])
def index_runs(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The dual-carbon index runs of the programme; POST (coordinating groups): upload a table and compute."""
    programme = _programme(request, programme_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_coordinate(request.user, programme):
            raise PermissionDenied
        f = request.FILES.get("file")
        if f is None:
            errors = [_("请选择要上传的文件（.csv 或 .xlsx）")]
        else:
            try:
                run = carbon_index.compute_index(
                    request.user,
                    programme,
                    request.POST.get("year"),
                    request.POST.get("method"),
                    f.name or "",
                    f.read(),
                    request.POST.get("note", ""),
                )
            except ValidationError as exc:
                errors = _messages(exc)
            else:
                messages.success(request, _("双碳指数已计算并保存"))
                return HttpResponseRedirect(reverse("programme:index_run", args=[run.pk]))
    lang = queries.lang()
    return render(
        request,
        "programme/index_runs.html",
        {
            **_nav(programme),
            "runs": scoping.index_runs(request.user).filter(programme=programme).select_related("created_by")[:50],
            "methods": [(m.name, m.version, m.title(lang)) for m in carbon_index.methods().values()],
            "years": list(range(programme.start_year - 2, programme.end_year + 1)),
            "this_year": datetime.date.today().year - 1,
            "can_coordinate": scoping.can_coordinate(request.user, programme),
            "account_indicators": carbon_index.ACCOUNT_INDICATORS,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def index_run(request: HttpRequest, index_run_id: int) -> HttpResponse:
    """A stored run: the ranking (score, rank, class, four dimensions), the sensitivity of the ranks to ±10 %
    weights, and with ``?area=CODE`` the drill-down of one county to each indicator."""
    run = scoping.index_runs(request.user).select_related("programme__region", "created_by").filter(pk=index_run_id)
    r = run.first()
    if r is None:
        raise Http404
    v = carbon_index.view(r, queries.lang())
    area = v.area(request.GET.get("area", "")[:6]) if request.GET.get("area") else None
    return render(request, "programme/index_run.html", {**_nav(r.programme), "v": v, "run": r, "area": area})


# --------------------------------------------------------------------------------------------- group inventory


@login_required
@require_GET
def inventory_groups(request: HttpRequest) -> HttpResponse:
    """The groups whose inventory the user may read (its own for an enterprise; its region's for a government)."""
    groups = list(scoping.inventory_groups(request.user).order_by("name")[:200])
    invs = scoping.inventories(request.user).filter(group__in=groups).order_by("group_id", "-year")
    by_group: dict[int, list[Any]] = {}
    for i in invs:
        by_group.setdefault(i.group_id, []).append(i)
    return render(
        request, "programme/inventory_groups.html", {"rows": [(g, by_group.get(g.pk, [])) for g in groups]}
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_inventory(request: HttpRequest, org_id: int) -> HttpResponse:
    """A group's tree today and its inventories; POST (the group's staff, the admin): an inventory for a year with
    its approach."""
    group = inventory.visible_group(request.user, org_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_keep_inventory(request.user, group):
            raise PermissionDenied
        try:
            inv = inventory.create_inventory(
                request.user, group, request.POST.get("year"), request.POST.get("approach"),
                request.POST.get("base_year"),
            )
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, _("已保存碳盘查设置"))
            return HttpResponseRedirect(reverse("programme:inventory", args=[inv.pk]))
    tree = inventory.tree_today(group)
    return render(
        request,
        "programme/group_inventory.html",
        {
            "group": group,
            "tree": tree,
            "inventories": scoping.inventories(request.user).filter(group=group),
            "approaches": inventory.GroupInventory.Approach.choices,
            "can_keep": scoping.can_keep_inventory(request.user, group),
            "year": datetime.date.today().year - 1,
            "errors": errors,
            "posted": request.POST if errors else None,
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def inventory_page(request: HttpRequest, inventory_id: int) -> HttpResponse:
    """An inventory in the ISO 14064-1 / GHG Protocol order: boundary and approach, period, scope 1 and 2 (location
    and market), each entity's share, base year, data quality and exclusions, factors, reduction potential, carbon
    assets, and each frozen snapshot beside the figures now."""
    inv = inventory.visible_inventory(request.user, inventory_id)
    ctx = inventory.report_context(inv)
    return render(
        request,
        "programme/inventory.html",
        {
            **ctx,
            "compares": [inventory.compare(s, ctx["f"]) for s in ctx["snapshots"]] if ctx["f"].complete else [],
            "can_keep": scoping.can_keep_inventory(request.user, inv.group),
            "lang": queries.lang(),
            "months": range(1, 13),
        },
    )


@login_required
@require_GET
def inventory_xlsx(request: HttpRequest, inventory_id: int) -> HttpResponse:
    inv = inventory.visible_inventory(request.user, inventory_id)
    resp = HttpResponse(
        inventory.xlsx(inv), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="inventory-{inv.group_id}-{inv.year}.xlsx"'
    return resp


@login_required
@require_GET
def inventory_pdf(request: HttpRequest, inventory_id: int) -> HttpResponse:
    inv = inventory.visible_inventory(request.user, inventory_id)
    resp = HttpResponse(inventory.pdf(inv), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="inventory-{inv.group_id}-{inv.year}.pdf"'
    return resp


@login_required
@require_http_methods(["GET", "POST"])
def inventory_snapshots(request: HttpRequest, inventory_id: int) -> HttpResponse:
    """The inventory's frozen snapshots (data, SHA-256, whether it still verifies); POST (the group's staff, the
    admin): freeze the inventory as it stands today."""
    inv = inventory.visible_inventory(request.user, inventory_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scoping.can_keep_inventory(request.user, inv.group):
            raise PermissionDenied
        try:
            inventory.take_snapshot(request.user, inv, request.POST.get("note", ""))
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, _("已冻结碳盘查快照"))
            return HttpResponseRedirect(reverse("programme:inventory", args=[inv.pk]) + "#snapshots")
    snaps = list(inv.snapshots.select_related("taken_by"))
    return render(
        request,
        "programme/inventory_snapshots.html",
        {
            "inv": inv,
            "snapshots": [(s, inventory.verify(s)) for s in snaps],
            "can_keep": scoping.can_keep_inventory(request.user, inv.group),
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def inventory_esg(request: HttpRequest, inventory_id: int) -> HttpResponse:
    """The group's ESG disclosure for the inventory's year: the environmental indicators computed from the accounts
    with their lineage, the governance and social ones it enters (POST: the group's staff, the admin)."""
    inv = inventory.visible_inventory(request.user, inventory_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not scoping.can_keep_inventory(request.user, inv.group):
            raise PermissionDenied
        data = {f.code: request.POST.get(f.code, "") for f in esg.ENTERED if f.code in request.POST}
        try:
            esg.save_entries(request.user, inv, data)
        except ValidationError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("ESG 指标已保存"))
            return HttpResponseRedirect(reverse("programme:inventory_esg", args=[inv.pk]))
    rows = esg.rows(inv)
    entered = {r["code"]: r for r in rows if r["source"] == "entered"}
    return render(
        request,
        "programme/inventory_esg.html",
        {
            "inv": inv,
            "computed": [r for r in rows if r["source"] != "entered"],
            "fields": [(f, entered[f.code], errors.get(f.code, [])) for f in esg.ENTERED],
            "errors": errors,
            "posted": request.POST if errors else None,
            "can_keep": scoping.can_keep_inventory(request.user, inv.group),
            "lang": queries.lang(),
            "columns": esg.COLUMNS,
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def inventory_esg_xlsx(request: HttpRequest, inventory_id: int) -> HttpResponse:
    inv = inventory.visible_inventory(request.user, inventory_id)
    resp = HttpResponse(esg.xlsx(inv), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="esg-{inv.group_id}-{inv.year}.xlsx"'
    return resp


@login_required
@require_GET
def inventory_esg_json(request: HttpRequest, inventory_id: int) -> HttpResponse:
    from django.http import JsonResponse

    inv = inventory.visible_inventory(request.user, inventory_id)
    resp = JsonResponse(esg.as_json(inv), json_dumps_params={"ensure_ascii": False, "indent": 1})
    resp["Content-Disposition"] = f'attachment; filename="esg-{inv.group_id}-{inv.year}.json"'
    return resp


# --------------------------------------------------------------------------------------------- structure forms


def _structure(
    request: HttpRequest,
    programme_id: int,
    model: Any,
    fields: tuple[str, ...],
    save: Any,
    template: str,
    rows: Any,
    extra: dict[str, Any],
) -> HttpResponse:
    """A list of the programme's groups, measures or tasks with, for the coordinating groups, the form that creates
    one (or, with ``?edit=CODE`` / the posted ``original``, changes it)."""
    programme = _programme(request, programme_id)
    can = scoping.can_coordinate(request.user, programme)
    errors: list[str] = []
    original = (request.POST.get("original") if request.method == "POST" else request.GET.get("edit")) or ""
    current = model.objects.filter(programme=programme, code=original[:40]).first() if original else None
    if request.method == "POST":
        if not can:
            raise PermissionDenied
        if original and current is None:
            raise Http404
        try:
            save(request.user, programme, request.POST, current)
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            messages.success(request, _("已保存"))
            return HttpResponseRedirect(request.path)
    values = (
        {k: request.POST.get(k, "") for k in fields}
        if errors
        else structure.form_values(current or model(programme=programme), fields)
    )
    return render(
        request,
        template,
        {
            **_nav(programme),
            "rows": rows(programme),
            "can_coordinate": can,
            "editing": current,
            "original": original if current else "",
            "values": values,
            "errors": errors,
            "lang": queries.lang(),
            **extra,
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _structure(
        request,
        programme_id,
        Group,
        structure.GROUP_FIELDS,
        structure.save_group,
        "programme/groups.html",
        lambda p: scoping.groups(request.user).filter(programme=p).prefetch_related("localities"),
        {"kinds": Group.Kind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def measures(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _structure(
        request,
        programme_id,
        Measure,
        structure.MEASURE_FIELDS,
        structure.save_measure,
        "programme/measures.html",
        lambda p: scoping.measures(request.user).filter(programme=p).select_related("parent", "group"),
        {},
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_form(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _structure(
        request,
        programme_id,
        Task,
        structure.TASK_FIELDS,
        structure.save_task,
        "programme/task_form.html",
        lambda p: scoping.tasks(request.user).filter(programme=p).select_related("group", "locality", "measure")[:300],
        {"task_kinds": Task.Kind.choices},
    )


@login_required
@require_GET
def evidence(request: HttpRequest, task_id: int) -> HttpResponseBase:
    """A progress report's evidence file (``?report=ID``), for whoever may read the task (404 otherwise)."""
    from django.http import FileResponse

    t = queries.task(request.user, task_id)
    try:
        report_id = int(request.GET.get("report", ""))
    except ValueError:
        raise Http404 from None
    r = t.reports.filter(pk=report_id).exclude(evidence="").first()
    if r is None:
        raise Http404
    return FileResponse(r.evidence.open("rb"), as_attachment=True, filename=r.evidence_name or "evidence")
