"""Pydantic I/O of the reporting API (OpenAPI at /api/docs), and the API's one error shape (:class:`ErrorOut`).

Numbers in requests follow the engine's rule (:mod:`dualcarbon.engine.numbers`): a JSON number or a decimal string;
NaN, Infinity, dates, spreadsheet errors and values too large for the field are refused with a located finding.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema, Status
from pydantic import BeforeValidator, StringConstraints, WithJsonSchema, model_validator

from dualcarbon.engine import numbers as number_rule


def _declared(spec: number_rule.NumberSpec, signed: bool = False, optional: bool = False) -> WithJsonSchema:
    """How a request number is declared in the OpenAPI document: a JSON number within the field's range, or a
    plain decimal string (the server also reads what the rule accepts beyond it: exponents, thousands
    separators, full-width digits, a trailing %)."""
    digits, places = spec.integer_digits, spec.decimal_places
    limit = 10**digits
    chars = "".join("\\" + c if c in "-\\]^" else c for c in number_rule.NUMBER_CHARS)
    variants: list[dict[str, Any]] = [
        {"type": "number", "exclusiveMaximum": limit, **({"exclusiveMinimum": -limit} if signed else {"minimum": 0})},
        {
            "type": "string",
            "pattern": f"^[{chars}]*$",
            "description": f'a decimal number as text, e.g. "7100.5": at most {digits} digits before the point '
            f"(more than {places} after it are rounded); full-width digits, thousands separators, an exponent and "
            "a trailing % (÷100) are read too. Anything else answers 422 with the rule broken.",
        },
    ]
    if optional:
        variants.append({"type": "null"})
    return WithJsonSchema({"anyOf": variants})


def _read(spec: number_rule.NumberSpec, signed: bool = False) -> BeforeValidator:
    """The engine's rule for a request number (NumberError, a ValueError: a located 422)."""

    def read(value: Any) -> Any:
        number = number_rule.parse_number(value, spec)
        if number is not None and number < 0 and not signed:
            raise number_rule.NumberError("negative", value)
        return number

    return BeforeValidator(read)


_ACT, _MONEY = number_rule.ACTIVITY, number_rule.MONEY
#: an activity, production or claim number ≥ 0 (at most 15 digits before the point, 8 after: engine/numbers.py)
Quantity = Annotated[Decimal, _read(_ACT), _declared(_ACT)]
OptionalQuantity = Annotated[Decimal | None, _read(_ACT), _declared(_ACT, optional=True)]
#: amounts in 万元 (at most 13 digits before the point, 4 after); value added may be negative
OptionalMoney = Annotated[Decimal | None, _read(_MONEY), _declared(_MONEY, optional=True)]
OptionalSignedMoney = Annotated[
    Decimal | None, _read(_MONEY, signed=True), _declared(_MONEY, signed=True, optional=True)
]


class In(Schema):
    """A request object: a JSON object, never another JSON value (ninja's Schema reads attributes of anything, so
    a list or a string would otherwise pass as an object with every field at its default)."""

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict | cls):
            raise ValueError("a JSON object is required / 须为 JSON 对象")
        return handler(data)


class ActivityIn(In):
    """One activity line, as in the Excel template's 活动数据 sheet (codes of engine/inputs.py)."""

    source_type: str = Field(
        ...,
        max_length=32,
        description="fuel_combustion | process | co2_recovery | purchased_electricity | purchased_heat | "
        "exported_electricity | exported_heat | biomass (or the Chinese label, e.g. 化石燃料燃烧)",
        examples=["fuel_combustion"],
    )
    item: str = Field(..., max_length=64, description="item name or code in the factor library", examples=["原煤"])
    quantity: Quantity = Field(..., examples=[7100])
    unit: str = Field(..., max_length=32, examples=["t"])
    ncv: OptionalQuantity = Field(None, description="net calorific value (measured or declared)")
    ncv_unit: str = Field("", max_length=32, examples=["GJ/t"])
    carbon_content: OptionalQuantity = Field(None, description="tC/GJ")
    oxidation_rate: OptionalQuantity = Field(None)
    factor: OptionalQuantity = Field(None, description="enterprise-specific emission factor")
    factor_unit: str = Field("", max_length=32, examples=["tCO2/t"])
    param_basis: str = Field("", max_length=10, description="measured | declared (实测 | 企业声明)")
    gas: str = Field("", max_length=16, description="default CO2")
    fraction: OptionalQuantity = Field(None)
    cao: OptionalQuantity = Field(None)
    mgo: OptionalQuantity = Field(None)
    cao_nc: OptionalQuantity = Field(None)
    mgo_nc: OptionalQuantity = Field(None)
    purity: OptionalQuantity = Field(None)


class ProductionIn(In):
    product: str = Field(..., min_length=1, max_length=64, examples=["水泥熟料"])
    quantity: Quantity = Field(..., examples=[50000])
    unit: str = Field("t", max_length=32)


class EconomicIn(In):
    value_added: OptionalSignedMoney = Field(None, description="工业增加值（收入法），万元", examples=[4200])
    output_value: OptionalMoney = Field(None, description="工业总产值，万元")
    revenue: OptionalMoney = Field(None, description="营业收入，万元")


class GenerationIn(In):
    """Own zero-carbon electricity generated in the month (自有零碳发电), one line per technology and use."""

    technology: str = Field(..., max_length=12, description="pv | wind | hydro | biomass | other", examples=["pv"])
    use: str = Field(
        ..., max_length=16, description="self_consumed (自发自用) | fed_in (上网)", examples=["self_consumed"]
    )
    quantity: Quantity = Field(..., examples=[120000])
    unit: str = Field("MWh", max_length=32, description="kWh | MWh | 万kWh", examples=["kWh"])
    certificates_transferred: OptionalQuantity = Field(
        None, description="of quantity (same unit): electricity whose green certificates were sold or transferred"
    )
    reference: str = Field("", max_length=120, description="project or meter", examples=["屋顶光伏一期 表号 3301"])


class OffsetIn(In):
    """An offset or green-electricity attribute retired (or held): CCER, GEC 绿证, green-power trade, forestry sink."""

    kind: str = Field(..., max_length=12, description="ccer | gec | green_trade | forestry", examples=["gec"])
    quantity: Quantity = Field(..., description="tCO2e (ccer, forestry) or MWh (gec, green_trade)")
    unit: str = Field("", max_length=32, description="tCO2e or MWh; empty: the kind's unit", examples=["MWh"])
    origin: str = Field(
        "purchased",
        max_length=12,
        description="purchased | own_project | green_trade (a GEC delivered with a green-power trade)",
    )
    status: str = Field("retired", max_length=8, description="retired | held (held ones do not count by default)")
    reference: str = Field(
        "",
        max_length=120,
        description="CCER project/serial, GEC serial, contract or project number (required: a missing one is a "
        "located validation error, like every other rule)",
    )


class PollutantDischargeIn(In):
    """The month's discharge of one managed pollutant factor (污染物排放量), in tonnes."""

    factor: str = Field(
        ..., max_length=16, description="COD | NH3N | SO2 | NOX | PM | VOCS (or the Chinese name)", examples=["SO2"]
    )
    quantity: Quantity = Field(..., description="tonnes discharged in the month (≥ 0)", examples=["1.25"])


class DraftIn(In):
    activities: list[ActivityIn] = Field(default_factory=list, max_length=5000)
    production: list[ProductionIn] = Field(default_factory=list, max_length=500)
    economic: EconomicIn | None = None
    generation: list[GenerationIn] = Field(default_factory=list, max_length=200)
    offsets: list[OffsetIn] = Field(default_factory=list, max_length=500)
    discharge: list[PollutantDischargeIn] = Field(default_factory=list, max_length=50)


def claims_in(payload: DraftIn) -> dict[str, list[dict[str, object]]]:
    """The draft's generation and offset lines, located like the activities (array name, 1-based index)."""
    return {
        name: [{**line.model_dump(), "source_sheet": name, "source_row": i} for i, line in enumerate(lines, start=1)]
        for name, lines in (
            ("generation", payload.generation),
            ("offsets", payload.offsets),
            ("discharge", payload.discharge),
        )
    }


class IssueOut(Schema):
    severity: str = Field(..., description="error (blocks submitting) | warning")
    rule: str = Field(..., description="the rule broken, e.g. not_a_number, too_large, negative, required")
    sheet: str = Field(
        "",
        description="where: the request's array (activities, production, generation, offsets, economic), "
        "the workbook sheet, or query / path / body for a parameter",
    )
    row: int | None = Field(None, description="1-based index in the array (or the sheet row)")
    column: str = Field("", description="the field (or parameter) name")
    message: str = Field("", description="the message in the request's language (Accept-Language; zh default)")
    message_zh: str
    message_en: str


class ErrorOut(Schema):
    """Every error the API answers (400, 401, 403, 404, 409, 413, 422): one shape, in the request's language."""

    detail: str = Field(..., description="what went wrong, in the request's language (Accept-Language; zh default)")
    errors: list[IssueOut] = Field(default_factory=list, description="located findings (422: each bad value)")
    request_id: str | None = Field(None, description="the X-Request-ID of this answer (quote it when reporting)")


#: the error statuses every route of the API may answer, all as ErrorOut (docs/security.md § API errors)
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422)
ERRORS: dict[int, type[ErrorOut]] = dict.fromkeys(ERROR_STATUSES, ErrorOut)


class PeriodOut(Schema):
    year: int
    month: int
    submission_id: int | None = None
    version: int | None = None
    status: str | None = Field(
        None, description="draft | submitted | verified | returned | rejected | locked; null when not reported"
    )
    is_current: bool = False
    has_draft: bool = False


class DraftOut(Schema):
    submission_id: int
    version: int
    status: str
    errors: int
    warnings: int
    issues: list[IssueOut]


class IdentityTermOut(Schema):
    key: str = Field(..., description="scope1 | scope2 | exported", examples=["scope1"])
    tco2e: float = Field(..., description="the term's signed contribution to total_tco2e (exported ≤ 0)")


class AccountOut(Schema):
    total_tco2e: float = Field(
        ..., description="total_tco2e = scope1 + scope2 + exported (GB/T 32150; exported ≤ 0, see terms)"
    )
    scope1: float = Field(..., description="scope 1, in the total; CO2 recovery (co2_recovery) already deducted")
    scope2: float = Field(..., description="location-based scope 2 (grid factor, GB/T 32150), in the total")
    exported: float = Field(
        0.0, description="exported electricity and heat (输出电力/热力): ≤ 0, deducted in the total"
    )
    co2_recovery: float = Field(
        0.0, description="CO2 recovery (CO2回收利用): ≤ 0, part of scope1 (already deducted there)"
    )
    biomass_co2_t: float = Field(0.0, description="biomass CO2 (生物质燃烧): a memo item, not in the total")
    scope2_market: float | None = Field(
        None,
        description="market-based scope 2: 绿电 (market-traded non-fossil electricity) at zero, other purchased "
        "electricity at the MEE+NBS national residual factor; null for an account computed before this view",
    )
    total_market_tco2e: float | None = Field(
        None,
        description="the total with the market-based scope 2 (= scope1 + scope2_market + exported), for comparison "
        "only; null for an account computed before this view",
    )
    terms: list[IdentityTermOut] = Field(
        default_factory=list,
        description="the identity's terms, in order: total_tco2e = Σ terms.tco2e (full precision)",
    )
    energy_tce: float


class SubmitOut(Schema):
    submission_id: int
    version: int
    status: str
    account: AccountOut | None = None
    issues: list[IssueOut] = Field(default_factory=list)


class CorrectionIn(In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        ...,
        description="why the submitted version is corrected (required; blanks alone are empty)",
        examples=["原煤用量录入错误，按结算单更正"],
    )


class ActivityOut(Schema):
    line_no: int
    source_type: str
    item: str
    quantity: Decimal
    unit: str
    ncv: Decimal | None = None
    ncv_unit: str = ""
    carbon_content: Decimal | None = None
    oxidation_rate: Decimal | None = None
    factor: Decimal | None = None
    factor_unit: str = ""
    param_basis: str = ""
    gas: str = ""
    fraction: Decimal | None = None
    cao: Decimal | None = None
    mgo: Decimal | None = None
    cao_nc: Decimal | None = None
    mgo_nc: Decimal | None = None
    purity: Decimal | None = None
    source_sheet: str = ""
    source_row: int | None = None


class ProductionOut(Schema):
    product: str
    quantity: Decimal
    unit: str


class EconomicOut(Schema):
    value_added: Decimal
    output_value: Decimal | None = None
    revenue: Decimal | None = None


class GenerationOut(Schema):
    line_no: int
    technology: str
    use: str
    quantity: Decimal
    unit: str
    certificates_transferred: Decimal | None = None
    reference: str = ""


class OffsetOut(Schema):
    line_no: int
    kind: str
    quantity: Decimal
    unit: str
    origin: str
    status: str
    reference: str = ""


class PollutantDischargeOut(Schema):
    factor: str
    quantity: Decimal


class SubmissionOut(Schema):
    id: int
    enterprise_id: int
    year: int
    month: int
    version: int
    status: str
    is_current: bool
    channel: str
    reason: str
    created_at: datetime
    submitted_at: datetime | None = None
    activities: list[ActivityOut]
    production: list[ProductionOut]
    economic: EconomicOut | None = None
    generation: list[GenerationOut] = Field(default_factory=list)
    offsets: list[OffsetOut] = Field(default_factory=list)
    discharge: list[PollutantDischargeOut] = Field(default_factory=list)
    issues: list[IssueOut]
    account: AccountOut | None = None


def validation_refusal(request: Any, exc: Any) -> tuple[int, dict[str, Any]]:
    """A service's Django ``ValidationError`` as the 422 ``ErrorOut`` body: one located finding per field, in both
    languages (``message`` in the request's), for any app's router (``return Status(*validation_refusal(...))``)."""
    from django.core.exceptions import NON_FIELD_ERRORS
    from django.utils.translation import get_language, override
    from django.utils.translation import gettext as _

    lang = get_language() or "zh-hans"
    with override("zh-hans"):
        zh = exc.message_dict
    with override("en"):
        en = exc.message_dict
    findings = []
    for field, texts in zh.items():
        for i, text in enumerate(texts):
            english = en[field][i]
            findings.append(
                {
                    "severity": "error",
                    "rule": "invalid",
                    "sheet": "body",
                    "row": None,
                    "column": "" if field == NON_FIELD_ERRORS else field,
                    "message": english if lang.startswith("en") else text,
                    "message_zh": text,
                    "message_en": english,
                }
            )
    detail = _("请求中有 %(n)d 处数据有误；未做任何修改") % {"n": len(findings)}
    return 422, {"detail": detail, "errors": findings, "request_id": getattr(request, "request_id", None)}


def refused(request: Any, exc: Any) -> Status[Any]:
    """:func:`validation_refusal` as the answer a router returns (``except ValidationError as exc: return
    refused(request, exc)``)."""
    return Status(*validation_refusal(request, exc))


def unknown_query(request: Any, allowed: Any) -> Status[Any] | None:
    """A located 422 for query parameters the operation does not declare (a misspelt filter would otherwise be
    ignored and answer everything), or None. For routes whose parameters are all optional: a caller who writes
    ``?perod=2024-01`` learns it instead of reading every month."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext_lazy

    unknown = sorted(k for k in request.GET if k not in set(allowed))
    if not unknown:
        return None
    names = "、".join(k or "（空）" for k in unknown)
    exc = ValidationError(
        {unknown[0] or "query": gettext_lazy("未知的查询参数：%(names)s（可用：%(allowed)s）")
         % {"names": names, "allowed": "、".join(sorted(allowed))}}
    )  # fmt: skip
    return refused(request, exc)
