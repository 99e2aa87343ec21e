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
from django.http import HttpRequest
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.security import SessionAuth

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import rule_wording as wording
from dualcarbon.registry.api_tokens import ApiTokenAuth
from dualcarbon.registry.models import ApiToken
from dualcarbon.reporting.schemas import ERRORS, validation_refusal

from . import queries, scoping, services
from .models import Match, Policy, PolicyVersion

#: an enterprise's system with its token; government staff (who hold no tokens) through their signed-in session, with
#: Django's CSRF check on every write
router = Router(tags=["policy"], auth=[ApiTokenAuth(), SessionAuth()])
MAX_ID = 2**63 - 1


class VersionOut(Schema):
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
    versions: list[VersionOut]


class PackageOut(Schema):
    id: int
    region: str
    name: str
    publisher: str
    document: str
    published_on: datetime.date
    source_url: str
    policies: list[PolicyOut] = Field(default_factory=list)


class VersionIn(Schema):
    valid_from: datetime.date
    rule: dict[str, Any] = Field(..., description='e.g. {"all": [{"fact": "grade", "op": "<=", "value": 2}]}')
    benefit_kind: str = Field(..., max_length=10)
    benefit_amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=4)
    benefit_note: str = Field("", max_length=300)
    budget: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    near_miss_pct: Decimal = Field(Decimal(10), ge=0, le=999, max_digits=5, decimal_places=2)
    illustrative: bool = False
    note: str = Field("", max_length=300)


class PolicyIn(VersionIn):
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


def _user(request: HttpRequest) -> Any:
    auth = request.auth  # type: ignore[attr-defined]
    return auth.user if isinstance(auth, ApiToken) else auth


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
        "to_fix": [wording.gap_text(o) for o in m.to_fix],
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


def _refused(request: HttpRequest, exc: ValidationError) -> Status[Any]:
    """A service's refusal as the API's located 422, in both languages (the shared helper of reporting.schemas)."""
    return Status(*validation_refusal(request, exc))


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
    rows = scoping.packages(_user(request)).select_related("region")
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
    p = queries.visible_package(_user(request), package_id)
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
    user = _user(request)
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
        return _refused(request, exc)
    return Status(201, _policy(p))


@router.get(
    "/policies/{policy_id}",
    operation_id="policy_detail",
    url_name="policy_detail",
    response={200: PolicyOut, **ERRORS},
    summary="政策及其版本 / a policy and its versions",
)
def policy(request: HttpRequest, policy_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _policy(queries.visible_policy(_user(request), policy_id)))


@router.post(
    "/policies/{policy_id}/versions",
    operation_id="policy_version",
    url_name="policy_version",
    response={201: VersionOut, **ERRORS},
    summary="发布新版本（适用条件、支持方式、预算）/ publish a new version",
    description="The open version ends the day before valid_from; the region is matched again. 422: a bad "
    "rule (located by its path) or an overlapping period, nothing written.",
)
def version(request: HttpRequest, payload: VersionIn, policy_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
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
        return _refused(request, exc)
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
    user = _user(request)
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
    user = _user(request)
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
