"""Pydantic I/O of the reporting API (OpenAPI at /api/docs)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema


class ActivityIn(Schema):
    """One activity line, as in the Excel template's 活动数据 sheet (codes of engine/inputs.py)."""

    source_type: str = Field(
        ...,
        max_length=32,
        description="fuel_combustion | process | co2_recovery | purchased_electricity | purchased_heat | "
        "exported_electricity | exported_heat | biomass (or the Chinese label, e.g. 化石燃料燃烧)",
        examples=["fuel_combustion"],
    )
    item: str = Field(..., max_length=64, description="item name or code in the factor library", examples=["原煤"])
    quantity: Decimal = Field(..., ge=0, examples=[7100])
    unit: str = Field(..., max_length=32, examples=["t"])
    ncv: Decimal | None = Field(None, ge=0, description="net calorific value (measured or declared)")
    ncv_unit: str = Field("", max_length=32, examples=["GJ/t"])
    carbon_content: Decimal | None = Field(None, ge=0, description="tC/GJ")
    oxidation_rate: Decimal | None = Field(None, ge=0)
    factor: Decimal | None = Field(None, ge=0, description="enterprise-specific emission factor")
    factor_unit: str = Field("", max_length=32, examples=["tCO2/t"])
    param_basis: str = Field("", max_length=10, description="measured | declared (实测 | 企业声明)")
    gas: str = Field("", max_length=16, description="default CO2")
    fraction: Decimal | None = Field(None, ge=0)
    cao: Decimal | None = Field(None, ge=0)
    mgo: Decimal | None = Field(None, ge=0)
    cao_nc: Decimal | None = Field(None, ge=0)
    mgo_nc: Decimal | None = Field(None, ge=0)
    purity: Decimal | None = Field(None, ge=0)


class ProductionIn(Schema):
    product: str = Field(..., min_length=1, max_length=64, examples=["水泥熟料"])
    quantity: Decimal = Field(..., ge=0, examples=[50000])
    unit: str = Field("t", max_length=32)


class EconomicIn(Schema):
    value_added: Decimal | None = Field(None, description="工业增加值（收入法），万元", examples=[4200])
    output_value: Decimal | None = Field(None, ge=0, description="工业总产值，万元")
    revenue: Decimal | None = Field(None, ge=0, description="营业收入，万元")


class GenerationIn(Schema):
    """Own zero-carbon electricity generated in the month (自有零碳发电), one line per technology and use."""

    technology: str = Field(..., max_length=12, description="pv | wind | hydro | biomass | other", examples=["pv"])
    use: str = Field(
        ..., max_length=16, description="self_consumed (自发自用) | fed_in (上网)", examples=["self_consumed"]
    )
    quantity: Decimal = Field(..., ge=0, examples=[120000])
    unit: str = Field("MWh", max_length=32, description="kWh | MWh | 万kWh", examples=["kWh"])
    certificates_transferred: Decimal | None = Field(
        None, ge=0, description="of quantity (same unit): electricity whose green certificates were sold or transferred"
    )
    reference: str = Field("", max_length=120, description="project or meter", examples=["屋顶光伏一期 表号 3301"])


class OffsetIn(Schema):
    """An offset or green-electricity attribute retired (or held): CCER, GEC 绿证, green-power trade, forestry sink."""

    kind: str = Field(..., max_length=12, description="ccer | gec | green_trade | forestry", examples=["gec"])
    quantity: Decimal = Field(..., ge=0, description="tCO2e (ccer, forestry) or MWh (gec, green_trade)")
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


class DraftIn(Schema):
    activities: list[ActivityIn] = Field(default_factory=list, max_length=5000)
    production: list[ProductionIn] = Field(default_factory=list, max_length=500)
    economic: EconomicIn | None = None
    generation: list[GenerationIn] = Field(default_factory=list, max_length=200)
    offsets: list[OffsetIn] = Field(default_factory=list, max_length=500)


def claims_in(payload: DraftIn) -> dict[str, list[dict[str, object]]]:
    """The draft's generation and offset lines, located like the activities (array name, 1-based index)."""
    return {
        name: [{**line.model_dump(), "source_sheet": name, "source_row": i} for i, line in enumerate(lines, start=1)]
        for name, lines in (("generation", payload.generation), ("offsets", payload.offsets))
    }


class IssueOut(Schema):
    severity: str = Field(..., description="error (blocks submitting) | warning")
    rule: str
    sheet: str = Field("", description="activities / production / 经济数据, or the workbook sheet")
    row: int | None = Field(None, description="1-based index in the array (or the sheet row)")
    column: str = ""
    message_zh: str
    message_en: str


class ErrorOut(Schema):
    detail: str
    errors: list[IssueOut] = Field(default_factory=list)


class PeriodOut(Schema):
    year: int
    month: int
    submission_id: int | None = None
    version: int | None = None
    status: str | None = Field(None, description="draft | submitted | verified | locked; null when not reported")
    is_current: bool = False
    has_draft: bool = False


class DraftOut(Schema):
    submission_id: int
    version: int
    status: str
    errors: int
    warnings: int
    issues: list[IssueOut]


class AccountOut(Schema):
    total_tco2e: float
    scope1: float
    scope2: float = Field(..., description="location-based scope 2 (grid factor, GB/T 32150), in the total")
    scope2_market: float | None = Field(
        None,
        description="market-based scope 2: 绿电 (market-traded non-fossil electricity) at zero, other purchased "
        "electricity at the MEE+NBS national residual factor; null for an account computed before this view",
    )
    energy_tce: float


class SubmitOut(Schema):
    submission_id: int
    version: int
    status: str
    account: AccountOut | None = None
    issues: list[IssueOut] = Field(default_factory=list)


class CorrectionIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000, examples=["原煤用量录入错误，按结算单更正"])


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
    issues: list[IssueOut]
    account: AccountOut | None = None
