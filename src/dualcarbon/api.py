"""One NinjaAPI assembled from each app's router (OpenAPI docs at /api/docs).

Routers are listed explicitly: an app whose router fails to import fails the start, it never disappears from
the API silently. A new app adds its line here (docs/architecture.md § Adding an app).

Every error answers the one shape the document declares on every route, ``ErrorOut`` (detail, located errors,
request_id), in the request's language (Accept-Language; Chinese by default): the handlers below turn ninja's
validation, authentication and HTTP errors, Django's 404 and permission refusals, the reporting services'
refusals and a database busy with another writer into it (docs/security.md § API errors).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext

from dualcarbon.accounting.api import router as accounts_router
from dualcarbon.assets.api import router as assets_router
from dualcarbon.engine.messages import RULES, Problem
from dualcarbon.engine.numbers import NumberError
from dualcarbon.finance.api import router as finance_router
from dualcarbon.monitoring.api import router as monitoring_router
from dualcarbon.planning.api import router as planning_router
from dualcarbon.policy.api import router as policy_router
from dualcarbon.programme.api import router as programme_router
from dualcarbon.rating.api import router as rating_router
from dualcarbon.reporting import services as reporting_services
from dualcarbon.reporting.api import router as reporting_router
from dualcarbon.reporting.meters_api import router as meters_router


class DualCarbonAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        """ninja's errors, keeping what locating and wording a finding needs: the value given and the number
        rule's own error (ninja drops the first and turns the second into text)."""
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for item in context.pydantic_validation_error.errors(include_url=False):
                loc = model.__ninja_flatten_map_reverse__.get(item["loc"], item["loc"])
                errors.append({**item, "loc": (model.__ninja_param_source__, *loc)})
        return ValidationError(errors)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        """The OpenAPI document, built once per process, path prefix and language (the routers do not change after
        start-up; building it walks every route and schema, about a second, and the scoping matrix asks for it once
        per role). A deep copy is handed out, so a caller changing it changes nobody else's."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._openapi_documents:
            self._openapi_documents[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return copy.deepcopy(self._openapi_documents[key])

    _openapi_documents: ClassVar[dict[tuple[str, str | None], Any]] = {}


api = DualCarbonAPI(
    title="DualCarbon API",
    version="1",
    description="双碳平台系统接口：企业系统报送活动数据、读取碳账户与评级。Token authentication: "
    "`Authorization: Bearer <token>`. Errors (400, 401, 403, 404, 409, 413, 422) all answer `ErrorOut` in the "
    "request's language (`Accept-Language`, Chinese by default).",
    urls_namespace="api",
    openapi_extra={
        "tags": [
            {"name": "reporting", "description": "报送：草稿、提交、更正与报送版本 / drafts, submits, corrections"},
            {"name": "rating", "description": "评级：企业的评级结果与历史 / an enterprise's grades and history"},
            {"name": "accounts", "description": "碳账户：年度、月度与溯源 / carbon accounts, their lines and lineage"},
            {"name": "finance", "description": "数据授权：企业授权银行、银行申请授权 / consents and consent requests"},
            {"name": "planning", "description": "减排规划：措施库、规划、边际减排成本曲线与排放路径 / reduction plans"},
            {"name": "policy", "description": "政策配套：政策包、条件与匹配 / policy packages, eligibility, matches"},
            {
                "name": "assets",
                "description": "碳资产与排污权：持有、账簿明细、确权、缴款单、质押 / holdings, ledger lines, "
                "confirmed rights, bills, pledges",
            },
            {
                "name": "programme",
                "description": "双碳示范城建设：五张清单、专班小组、举措指标、调度 / the city's programme: five lists, "
                "groups, measures and indicators, dispatch",
            },
            {"name": "monitoring", "description": "区域监测：电碳快报 / the electricity-carbon nowcast"},
        ]
    },
)

api.add_router("/reporting", reporting_router)
api.add_router("/reporting/meters", meters_router)
api.add_router("/rating", rating_router)
api.add_router("/accounts", accounts_router)
api.add_router("/finance", finance_router)
api.add_router("/planning", planning_router)
api.add_router("/policy", policy_router)
api.add_router("/assets", assets_router)
api.add_router("/programme", programme_router)
api.add_router("/monitoring", monitoring_router)


# --------------------------------------------------------------------------------------------- errors


def _answer(request: HttpRequest, status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> HttpResponse:
    body = {"detail": detail, "errors": errors or [], "request_id": getattr(request, "request_id", None)}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


#: the request's arrays, named as in DraftIn (an error in one is located by array, 1-based row and field)
_ARRAYS = ("activities", "production", "generation", "offsets", "economic", "discharge")
_PERIOD = ("year", "month")


def _where(sheet: str, row: int | None, column: str, lang: str) -> str:
    if lang == "zh":
        parts = [f"{sheet}" if sheet else "", f"第 {row} 行" if row is not None else "", f"{column}" if column else ""]
        loc = "，".join(p for p in parts if p)
        return f"{loc}：" if loc else ""
    parts = [sheet, f"row {row}" if row is not None else "", f"field {column}" if column else ""]
    loc = ", ".join(p for p in parts if p)
    return f"{loc}: " if loc else ""


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


#: pydantic error types → (rule, zh, en) for what is not the number rule's
_TEXTS: dict[str, tuple[str, str, str]] = {
    "missing": ("required", "必填项为空", "a required value is missing"),
    "string_too_short": ("required", "不能为空", "must not be empty"),
    "string_too_long": ("too_long", "过长（最多 {max_length} 个字符）", "too long (at most {max_length} characters)"),
    "too_long": ("too_many", "过多（最多 {max_length} 项）", "too many (at most {max_length})"),
    "greater_than_equal": ("negative", RULES["negative"]["zh"], RULES["negative"]["en"]),
    "less_than_equal": ("out_of_range", "“{value}” 超出范围（最大 {le}）", "“{value}” is out of range (at most {le})"),
    "string_pattern_mismatch": ("format", "“{value}” 格式不正确", "“{value}” is not in the expected format"),
}


def _literal(text: str) -> str:
    """Text put into a message template as it is (a pattern's ``{4}`` is no placeholder)."""
    return text.replace("{", "{{").replace("}", "}}")


def _finding(err: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as a located IssueOut."""
    loc = [p for p in err.get("loc", ()) if not (isinstance(p, str) and ("[" in p or p == "payload"))]
    source = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form") else ""
    rest = loc[1:] if source else loc
    array = next((p for p in rest if isinstance(p, str) and p in _ARRAYS), "")
    index = next((p for p in rest if isinstance(p, int)), None)
    names = [p for p in rest if isinstance(p, str) and p not in _ARRAYS]
    sheet = array or (source if source != "body" else "")
    row = index + 1 if index is not None else None
    column = names[-1] if names else ""
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    value = _shown(err.get("input"))
    if isinstance(cause, NumberError):
        problem = Problem(cause.rule, row, column, cause.value, cause.hint, sheet or None)
        rule, zh, en = cause.rule, problem.message("zh"), problem.message("en")
    else:
        typ = str(err.get("type", ""))
        values = {"value": value, **{k: _shown(v) for k, v in ctx.items()}}
        rule, zh_t, en_t = _TEXTS.get(
            typ,
            (
                "invalid",
                "“{value}” 无效（" + _literal(typ) + "）",
                "“{value}” is invalid: " + _literal(str(err.get("msg", ""))),
            ),
        )
        zh = _where(sheet, row, column, "zh") + zh_t.format_map(_Missing(values)) + f"（规则 {rule}）"
        en = _where(sheet, row, column, "en") + en_t.format_map(_Missing(values)) + f" (rule {rule})"
    english = (get_language() or "zh").startswith("en")
    return {
        "severity": "error",
        "rule": rule,
        "sheet": sheet,
        "row": row,
        "column": column,
        "message": en if english else zh,
        "message_zh": zh,
        "message_en": en,
    }


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = list(exc.errors)
    period = [e for e in errors if len(e.get("loc", ())) >= 2 and e["loc"][0] in ("path", "query")]
    if any(e["loc"][-1] in _PERIOD for e in period):
        # one rule for a reporting month everywhere: not a number, or outside 2000–2100 / 1–12
        return _answer(request, 400, str(reporting_services.InvalidPeriod()))
    findings = [_finding(e) for e in errors]
    detail = _("请求中有 %(n)d 处数据有误；未做任何修改") % {"n": len(findings)}
    return _answer(request, 422, detail, findings)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _answer(request, 401, _("需要有效的接口令牌：请求头 Authorization: Bearer <令牌>"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {
        400: _("请求体不是有效的 JSON"),
        401: _("需要有效的接口令牌：请求头 Authorization: Bearer <令牌>"),
        403: _("无权执行该操作"),
        429: _("请求过于频繁，请稍后重试"),
    }
    return _answer(request, exc.status_code, messages.get(exc.status_code, str(exc)))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    text = str(exc)
    return _answer(request, 404, text if text and not text.startswith("No ") else _("未找到"))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _answer(request, 403, str(exc) or _("无权执行该操作"))


@api.exception_handler(reporting_services.WorkflowError)
def _refused(request: HttpRequest, exc: reporting_services.WorkflowError) -> HttpResponse:
    if isinstance(exc, reporting_services.Conflict):
        return _answer(request, 409, str(exc))
    return _answer(request, 400, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _answer(request, 413, _("请求体过大：上限 %(mb)d MB") % {"mb": _upload_limit_mb()})


@api.exception_handler(OperationalError)
def _busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    if not reporting_services.is_busy(exc):
        raise exc
    return _answer(request, 409, _("该月正由另一请求写入，请稍后重试"))


def _upload_limit_mb() -> int:
    from django.conf import settings

    return int((settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 1048576)
