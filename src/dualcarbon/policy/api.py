"""Policy API (mounted at /api/policy; thin over services and queries, docs/policy.md): read packages and
policies, publish a policy or a new version of its eligibility (rules are JSON, :mod:`dualcarbon.engine.eligibility`),
read an enterprise's matches with reasons and near misses, and the government's matches and budgets.

Enterprises' systems authenticate with their API token; government staff, who hold no token, through their
signed-in session (CSRF-checked). Refusals answer the API's one error shape (``ErrorOut``): 404 for what the caller
may not see (exactly like missing), 403 for a write its user may not make, 422 for a bad rule or field, each located
(``column``: the rule's path, e.g. ``rule.all[1].value``) and worded in both languages; nothing is changed on a
refusal.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import rule_wording as wording
from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.registry.models import Region
from dualcarbon.reporting.schemas import ERRORS, refused

from . import queries, sandbox, scoping, services
from .models import Match, Policy, PolicyVersion

#: an enterprise's system with its token; government staff (who hold no tokens) through their signed-in session, with
#: Django's CSRF check on every write
router = Router(tags=["policy"], auth=token_or_session())
MAX_ID = 2**63 - 1


class PolicyVersionOut(Schema):
    id: int
    version: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    rule: dict[str, Any] = Field(..., description="the eligibility rule: {all|any: [conditions or groups]}")
    conditions: list[str] = Field(..., description="the rule in words, in the request's language")
    benefit_kind: str = Field(..., description="fixed | per_tco2 | rate | surcharge | none")
    benefit_amount: Decimal | None
    benefit_note: str
    benefit: str
    budget: Decimal | None
    near_miss_pct: Decimal
    illustrative: bool = Field(..., description="the amounts are illustrative (invented for a demo)")
    note: str


class PolicyOut(Schema):
    id: int
    package_id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    kind: str
    kind_label: str
    clause: str
    versions: list[PolicyVersionOut]


class PackageOut(Schema):
    id: int
    region: str
    name: str
    publisher: str
    document: str
    published_on: datetime.date
    source_url: str
    policies: list[PolicyOut] = Field(default_factory=list)


class PolicyVersionIn(Schema):
    valid_from: datetime.date
    rule: dict[str, Any] = Field(..., description='e.g. {"all": [{"fact": "grade", "op": "<=", "value": 2}]}')
    benefit_kind: str = Field(..., max_length=10)
    benefit_amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=4)
    benefit_note: str = Field("", max_length=300)
    budget: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    near_miss_pct: Decimal = Field(Decimal(10), ge=0, le=999, max_digits=5, decimal_places=2)
    illustrative: bool = False
    note: str = Field("", max_length=300)


class PolicyIn(PolicyVersionIn):
    code: str = Field(..., max_length=40)
    name_zh: str = Field(..., max_length=200)
    name_en: str = Field("", max_length=300)
    kind: str = Field(..., max_length=16, description=" | ".join(Policy.Kind.values))
    clause: str = Field("", max_length=200)


class OutcomeOut(Schema):
    condition: dict[str, Any]
    status: str = Field(..., description="met | missed | unknown")
    actual: Any
    delta: str | None = Field(None, description="the signed change of the figure that reaches the boundary")
    relative_pct: str | None = Field(None, description="delta relative to the figure, in %")
    strict: bool
    text: str


class MatchOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    policy_id: int
    policy: str
    version: int
    year: int
    status: str = Field(..., description="matched | near")
    committed: Decimal | None = Field(None, description="money committed (元)")
    outcomes: list[OutcomeOut]
    to_fix: list[str] = Field(..., description="what would qualify (near misses), in words")
    facts: dict[str, Any] = Field(..., description="the facts evaluated, each {value, source}")
    computed_at: datetime.datetime


class BudgetOut(Schema):
    policy_id: int
    policy: str
    n_matched: int
    n_near: int
    committed: Decimal
    budget: Decimal | None
    over: bool


class OverviewOut(Schema):
    year: int | None
    budgets: list[BudgetOut]
    matches: list[MatchOut]
    total: int


def _version(v: PolicyVersion) -> dict[str, Any]:
    today = datetime.date.today()
    vv = queries.version_view(v, today)
    return {
        "id": v.pk,
        "version": v.version,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "rule": v.rule,
        "conditions": vv.conditions,
        "benefit_kind": v.benefit_kind,
        "benefit_amount": v.benefit_amount,
        "benefit_note": v.benefit_note,
        "benefit": vv.benefit,
        "budget": v.budget,
        "near_miss_pct": v.near_miss_pct,
        "illustrative": v.illustrative,
        "note": v.note,
    }


def _policy(p: Policy) -> dict[str, Any]:
    return {
        "id": p.pk,
        "package_id": p.package_id,
        "code": p.code,
        "name": p.name_for(queries.lang()),
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "clause": p.clause,
        "versions": [_version(v) for v in sorted(p.versions.all(), key=lambda v: -v.version)],
    }


def _match(m: Match) -> dict[str, Any]:
    return {
        "id": m.pk,
        "enterprise_id": m.enterprise_id,
        "enterprise": m.enterprise.name,
        "policy_id": m.policy_id,
        "policy": m.policy.name_for(queries.lang()),
        "version": m.version.version,
        "year": m.year,
        "status": m.status,
        "committed": m.committed,
        "outcomes": [{**o, "text": wording.outcome_text(o)} for o in m.outcomes],
        "to_fix": [wording.gap_text(o, sole=len(m.to_fix) == 1) for o in m.to_fix],
        "facts": m.facts,
        "computed_at": m.computed_at,
    }


def _finding(column: str, zh: str, en: str) -> dict[str, Any]:
    lang = get_language() or "zh-hans"
    return {
        "severity": "error",
        "rule": "invalid",
        "sheet": "body",
        "row": None,
        "column": column,
        "message": en if lang.startswith("en") else zh,
        "message_zh": zh,
        "message_en": en,
    }


def _rule_refused(request: HttpRequest, exc: el.RuleError) -> Status[Any]:
    findings = []
    for p in exc.problems:
        with override("zh-hans"):
            zh = wording.problem_text(p)
        with override("en"):
            en = wording.problem_text(p)
        findings.append(_finding(f"rule.{p.path}" if p.path else "rule", zh, en))
    return _422(request, findings)


def _422(request: HttpRequest, findings: list[dict[str, Any]]) -> Status[Any]:
    detail = _("请求中有 %(n)d 处数据有误；未做任何修改") % {"n": len(findings)}
    return Status(422, {"detail": detail, "errors": findings, "request_id": getattr(request, "request_id", None)})


def _check_rule(rule: Any) -> el.RuleError | None:
    try:
        services.parse_rule(rule)
    except el.RuleError as exc:
        return exc
    return None


@router.get(
    "/packages",
    operation_id="policy_packages",
    url_name="policy_packages",
    response={200: list[PackageOut], **ERRORS},
    summary="政策包 / policy packages",
)
def packages(request: HttpRequest) -> Any:
    rows = scoping.packages(request_user(request)).select_related("region")
    return Status(
        200,
        [
            {
                "id": p.pk,
                "region": p.region_id,
                "name": p.name_for(queries.lang()),
                "publisher": p.publisher,
                "document": p.document,
                "published_on": p.published_on,
                "source_url": p.source_url,
                "policies": [],
            }
            for p in rows
        ],
    )


@router.get(
    "/packages/{package_id}",
    operation_id="policy_package",
    url_name="policy_package",
    response={200: PackageOut, **ERRORS},
    summary="政策包及其政策与版本 / a package, its policies and versions",
)
def package(request: HttpRequest, package_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    p = queries.visible_package(request_user(request), package_id)
    policies = p.policies.all().prefetch_related("versions")
    return Status(
        200,
        {
            "id": p.pk,
            "region": p.region_id,
            "name": p.name_for(queries.lang()),
            "publisher": p.publisher,
            "document": p.document,
            "published_on": p.published_on,
            "source_url": p.source_url,
            "policies": [_policy(x) for x in policies],
        },
    )


@router.post(
    "/packages/{package_id}/policies",
    operation_id="policy_create",
    url_name="policy_create",
    response={201: PolicyOut, **ERRORS},
    summary="新增政策（含首个版本）/ add a policy with its first version",
    description="The government of the package's region. 422: a bad rule or field (located), nothing written.",
)
def create(request: HttpRequest, payload: PolicyIn, package_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    pkg = queries.visible_package(user, package_id)
    if not scoping.can_publish(user, pkg.region):
        raise PermissionDenied
    bad = _check_rule(payload.rule)
    if bad is not None:
        return _rule_refused(request, bad)
    data = payload.dict()
    try:
        p = services.create_policy(user, pkg, **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _policy(p))


@router.get(
    "/policies/{policy_id}",
    operation_id="policy_detail",
    url_name="policy_detail",
    response={200: PolicyOut, **ERRORS},
    summary="政策及其版本 / a policy and its versions",
)
def policy(request: HttpRequest, policy_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _policy(queries.visible_policy(request_user(request), policy_id)))


@router.post(
    "/policies/{policy_id}/versions",
    operation_id="policy_version",
    url_name="policy_version",
    response={201: PolicyVersionOut, **ERRORS},
    summary="发布新版本（适用条件、支持方式、预算）/ publish a new version",
    description="The open version ends the day before valid_from; the region is matched again. 422: a bad "
    "rule (located by its path) or an overlapping period, nothing written.",
)
def version(request: HttpRequest, payload: PolicyVersionIn, policy_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    p = queries.visible_policy(user, policy_id)
    if not scoping.can_publish(user, p.package.region):
        raise PermissionDenied
    bad = _check_rule(payload.rule)
    if bad is not None:
        return _rule_refused(request, bad)
    data = payload.dict()
    valid_from = data.pop("valid_from")
    try:
        v = services.publish_version(user, p, valid_from, **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _version(v))


@router.get(
    "/enterprises/{org_id}/matches",
    operation_id="policy_enterprise_matches",
    url_name="policy_enterprise_matches",
    response={200: list[MatchOut], **ERRORS},
    summary="企业的符合政策与临近达标 / an enterprise's matches and near misses",
    description="The enterprise's own staff, its government. 404: no such enterprise or out of scope.",
)
def enterprise_matches(
    request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID), year: int | None = Query(None, ge=1990, le=2100)
) -> Any:
    user = request_user(request)
    org = queries.visible_enterprise(user, org_id)
    qs = scoping.matches(user).filter(enterprise=org, is_current=True)
    if year:
        qs = qs.filter(year=year)
    rows = qs.select_related("enterprise", "policy", "version").order_by("-year", "policy_id")
    return Status(200, [_match(m) for m in rows])


@router.get(
    "/matches",
    operation_id="policy_matches",
    url_name="policy_matches",
    response={200: OverviewOut, **ERRORS},
    summary="辖区的匹配结果与预算 / the jurisdiction's matches and budgets",
    description="Governments (their jurisdiction) and the admin. Filters: year, policy, district, industry, "
    "status. 404 for other users.",
)
def matches(
    request: HttpRequest,
    year: int | None = Query(None, ge=1990, le=2100),
    policy: int | None = Query(None, ge=1, le=MAX_ID),
    district: str = Query("", max_length=6),
    industry: str = Query("", max_length=5),
    status: str = Query("", max_length=8),
) -> Any:
    user = request_user(request)
    view = queries.overview(
        user, queries.Filter(year, policy, district, industry, status if status in Match.Status.values else "")
    )
    return Status(
        200,
        {
            "year": view.f.year,
            "budgets": [
                {
                    "policy_id": b.policy.pk,
                    "policy": b.policy.name_for(queries.lang()),
                    "n_matched": b.n_matched,
                    "n_near": b.n_near,
                    "committed": b.committed,
                    "budget": b.budget,
                    "over": b.over,
                }
                for b in view.budgets
            ],
            "matches": [_match(v.match) for v in view.rows],
            "total": view.n_rows,
        },
    )


# ------------------------------------------------------------------------------------------- sandbox


class SandboxDraftIn(Schema):
    kind: str = Field(..., max_length=8, description="scheme | policy")
    title: str = Field(..., max_length=200)
    region: str = Field("", max_length=6, description="scheme drafts: the region's code (default: the policy's)")
    policy_id: int | None = Field(None, ge=1, le=MAX_ID, description="policy drafts: the policy edited")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description='scheme: e.g. {"grade_bounds": [0.6, 0.85, 1.2, 2.0]}; policy: any of rule, benefit_kind, '
        "benefit_amount, budget",
    )
    note: str = Field("", max_length=500)


class SandboxDraftPatch(Schema):
    changes: dict[str, Any]
    title: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=500)


class SandboxDraftOut(Schema):
    id: int
    region: str
    kind: str
    title: str
    note: str
    status: str = Field(..., description="draft | adopted | withdrawn")
    base: str = Field(..., description="the scheme version or policy version the draft edits")
    changes: dict[str, Any]
    created_by: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    adopted_from: datetime.date | None
    adopted_scheme: str | None = Field(None, description="the scheme version the adoption made")
    adopted_version_id: int | None = Field(None, description="the policy version the adoption made")
    impact_run_id: int | None = Field(None, description="the sandbox run kept as the adoption's impact note")
    runs: list[int]


class RunIn(Schema):
    year: int | None = Field(None, ge=1990, le=2100, description="default: the region's latest graded year")


class SandboxRunOut(Schema):
    id: int
    draft_id: int
    year: int
    on: datetime.date
    changes: dict[str, Any]
    n_enterprises: int
    n_up: int
    n_down: int
    n_gain: int
    n_loss: int
    figures: dict[str, Any] = Field(
        ...,
        description="distribution (live vs draft per grade), movers (before/after, K, L, benchmark), by_district, "
        "by_industry, budgets (live vs draft committed and cap per policy), benefits (gain/loss with every "
        "condition's outcome and the facts with their sources), draft (the parameters used)",
    )
    created_at: datetime.datetime


class AdoptIn(Schema):
    valid_from: datetime.date
    run_id: int | None = Field(None, ge=1, le=MAX_ID, description="default: the draft's latest run")


def _draft(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "region": d.region_id,
        "kind": d.kind,
        "title": d.title,
        "note": d.note,
        "status": d.status,
        "base": d.base_scheme.label if d.base_scheme_id else f"{d.policy.code} v{d.base_version.version}",
        "changes": d.changes,
        "created_by": d.created_by.get_username() if d.created_by_id else None,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "adopted_from": d.adopted_from,
        "adopted_scheme": d.adopted_scheme.label if d.adopted_scheme_id else None,
        "adopted_version_id": d.adopted_version_id,
        "impact_run_id": d.impact_run_id,
        "runs": list(d.runs.order_by("-created_at", "-pk").values_list("pk", flat=True)),
    }


def _sandbox_run(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "draft_id": r.draft_id,
        "year": r.year,
        "on": r.on,
        "changes": r.changes,
        "n_enterprises": r.n_enterprises,
        "n_up": r.n_up,
        "n_down": r.n_down,
        "n_gain": r.n_gain,
        "n_loss": r.n_loss,
        "figures": r.figures,
        "created_at": r.created_at,
    }


def _government(user: Any) -> None:
    """The sandbox is the government's: others are answered 404, as for what they may not see."""
    if not scoping.can_see_region(user):
        raise Http404


def _writable_draft(user: Any, draft_id: int) -> Any:
    _government(user)
    d = queries.visible_draft(user, draft_id)
    if not scoping.can_publish(user, d.region):
        raise PermissionDenied
    return d


@router.get(
    "/sandbox/drafts",
    operation_id="policy_sandbox_drafts",
    url_name="policy_sandbox_drafts",
    response={200: list[SandboxDraftOut], **ERRORS},
    summary="政策沙盘草案 / what-if sandbox drafts",
    description="Governments (the drafts of their jurisdiction) and the admin; 404 for other users.",
)
def sandbox_drafts(request: HttpRequest) -> Any:
    user = request_user(request)
    _government(user)
    rows = scoping.drafts(user).select_related(
        "region", "base_scheme", "policy", "base_version", "adopted_scheme", "created_by"
    )
    return Status(200, [_draft(d) for d in rows[:500]])


@router.post(
    "/sandbox/drafts",
    operation_id="policy_sandbox_draft_create",
    url_name="policy_sandbox_draft_create",
    response={201: SandboxDraftOut, **ERRORS},
    summary="新建沙盘草案 / create a sandbox draft",
    description="The region's government. 422: bad changes, each located (e.g. changes.grade_bounds[1], "
    "changes.rule.all[0].value) in both languages; nothing written.",
)
def sandbox_draft_create(request: HttpRequest, payload: SandboxDraftIn) -> Any:
    user = request_user(request)
    _government(user)
    policy = None
    region = None
    if payload.policy_id is not None:
        policy = queries.visible_policy(user, payload.policy_id)
        region = policy.package.region
    if payload.region:
        region = Region.objects.filter(code=payload.region).first()
        if region is None:
            raise Http404
    if region is None:
        return refused(request, ValidationError({"region": [ValidationError(_("请选择地区或政策"))]}))
    if not scoping.can_publish(user, region):
        raise PermissionDenied
    try:
        d = sandbox.create_draft(
            user,
            region,
            kind=payload.kind,
            title=payload.title,
            changes=payload.changes,
            policy=policy,
            note=payload.note,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _draft(d))


@router.get(
    "/sandbox/drafts/{sandbox_id}",
    operation_id="policy_sandbox_draft",
    url_name="policy_sandbox_draft",
    response={200: SandboxDraftOut, **ERRORS},
    summary="沙盘草案 / a sandbox draft",
)
def sandbox_draft(request: HttpRequest, sandbox_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    _government(user)
    return Status(200, _draft(queries.visible_draft(user, sandbox_id)))


@router.patch(
    "/sandbox/drafts/{sandbox_id}",
    operation_id="policy_sandbox_draft_update",
    url_name="policy_sandbox_draft_update",
    response={200: SandboxDraftOut, **ERRORS},
    summary="修改沙盘草案 / change a sandbox draft",
    description="422: bad changes (located), or the draft is adopted or withdrawn; nothing written.",
)
def sandbox_draft_update(
    request: HttpRequest, payload: SandboxDraftPatch, sandbox_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = request_user(request)
    d = _writable_draft(user, sandbox_id)
    try:
        d = sandbox.update_draft(user, d, changes=payload.changes, title=payload.title, note=payload.note)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _draft(d))


@router.delete(
    "/sandbox/drafts/{sandbox_id}",
    operation_id="policy_sandbox_draft_withdraw",
    url_name="policy_sandbox_draft_withdraw",
    response={200: SandboxDraftOut, **ERRORS},
    summary="撤回沙盘草案 / withdraw a sandbox draft",
    description="The draft is kept with status withdrawn (its runs too).",
)
def sandbox_draft_withdraw(request: HttpRequest, sandbox_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    d = _writable_draft(user, sandbox_id)
    try:
        d = sandbox.withdraw(user, d)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _draft(d))


@router.post(
    "/sandbox/drafts/{sandbox_id}/runs",
    operation_id="policy_sandbox_run",
    url_name="policy_sandbox_run",
    response={201: SandboxRunOut, **ERRORS},
    summary="运行沙盘推演 / run the sandbox",
    description="Recomputes the region's grades and matches under the draft in memory (no live row written) and "
    "stores the comparison.",
)
def sandbox_run_create(request: HttpRequest, payload: RunIn, sandbox_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    d = _writable_draft(user, sandbox_id)
    try:
        r = sandbox.run(user, d, payload.year)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _sandbox_run(r))


@router.get(
    "/sandbox/runs/{sandbox_run_id}",
    operation_id="policy_sandbox_run_detail",
    url_name="policy_sandbox_run_detail",
    response={200: SandboxRunOut, **ERRORS},
    summary="沙盘推演结果 / a sandbox run's figures",
)
def sandbox_run_detail(request: HttpRequest, sandbox_run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    _government(user)
    return Status(200, _sandbox_run(queries.visible_sandbox_run(user, sandbox_run_id)))


@router.post(
    "/sandbox/drafts/{sandbox_id}/adopt",
    operation_id="policy_sandbox_adopt",
    url_name="policy_sandbox_adopt",
    response={200: SandboxDraftOut, **ERRORS},
    summary="采纳沙盘草案 / adopt a sandbox draft",
    description="A new scheme version chosen for the region (graded years from valid_from re-rated and re-matched) "
    "or a new policy version (re-matched), with the run as its impact note. 422: no run, or the draft changed "
    "since its last run; nothing written.",
)
def sandbox_adopt(request: HttpRequest, payload: AdoptIn, sandbox_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    d = _writable_draft(user, sandbox_id)
    run = None
    if payload.run_id is not None:
        run = d.runs.filter(pk=payload.run_id).first()
        if run is None:
            raise Http404
    try:
        d = sandbox.adopt(user, d, payload.valid_from, run)
    except ValidationError as exc:
        return refused(request, exc)
    d = queries.visible_draft(user, d.pk)
    return Status(200, _draft(d))
