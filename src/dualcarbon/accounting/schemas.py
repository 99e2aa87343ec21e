"""Pydantic shapes of the accounts API (``/api/accounts``, :mod:`dualcarbon.accounting.api`): an enterprise's account
years and months with their totals, and one month's account with its emission lines, each line's lineage, the
factor sets with their citations and the neutrality claim lines. Figures are the stored ones, full precision
(tCO2e unless named otherwise); the errors are the API's one shape (``ErrorOut``, reporting/schemas.py)."""

from __future__ import annotations

import datetime

from ninja import Field, Schema


class EnterpriseRef(Schema):
    id: int
    name: str
    uscc: str | None = None
    region_code: str | None = Field(None, description="GB/T 2260 county code")
    industry_code: str | None = Field(None, description="GB/T 4754-2017 code")


class TierOut(Schema):
    tier: int = Field(..., description="1 measured or prescribed, 2 declared by the enterprise, 3 factor-set default")
    tco2e: float = Field(..., description="tCO2e computed with parameters of this tier (absolute values summed)")
    share: float | None = Field(None, description="of all tiers (0–1); null when nothing was computed")


class TotalsOut(Schema):
    """The figures of a month, a year or any set of months (sums of the stored monthly figures)."""

    months: int = Field(..., description="monthly accounts summed")
    total_tco2e: float | None = Field(None, description="scope 1 + scope 2 (location-based) − exported; null: none")
    scope1_tco2e: float | None = None
    scope2_tco2e: float | None = Field(None, description="location-based (grid factor, GB/T 32150)")
    scope2_market_tco2e: float | None = Field(
        None,
        description="market-based: 绿电 at zero, other purchases at the national residual factor; null when a month "
        "was computed before this view existed",
    )
    total_market_tco2e: float | None = None
    exported_tco2e: float | None = Field(None, description="electricity and heat supplied to others (deducted)")
    recovery_tco2e: float = Field(..., description="CO2 recovered and used (co2_recovery lines, ≤ 0: deducted)")
    biomass_co2_t: float | None = Field(None, description="biogenic CO2, reported apart (not in the total)")
    energy_tce: float | None = Field(None, description="energy consumption, tonnes of coal equivalent")
    value_added: float | None = Field(None, description="industrial value added (income approach), 万元")
    intensity: float | None = Field(
        None, description="tCO2e per 万元 of value added (Σ total of the months with value added ÷ Σ value added)"
    )
    tiers: list[TierOut] = Field(..., description="data-quality tiers")


class YearSummaryOut(Schema):
    year: int
    months: list[int] = Field(..., description="months with an account the reader may read")
    totals: TotalsOut


class YearsOut(Schema):
    enterprise: EnterpriseRef
    years: list[YearSummaryOut]


class MonthSummaryOut(Schema):
    month: int
    status: str = Field(
        ...,
        description="none (not reported) | not_covered (outside a bank's consent) | draft | submitted | verified | "
        "locked",
    )
    version: int | None = None
    entry_id: int | None = Field(None, description="the month's current account (null: none readable)")
    totals: TotalsOut | None = None


class FactorSetOut(Schema):
    name: str
    version: str
    title: str = ""
    publisher: str = ""
    document: str = ""
    published: str = ""
    url: str = ""
    official: bool = Field(..., description="false for a comparison set (not an official source)")
    citation_zh: str = Field("", description="engine.reference.citation(name, 'zh')")
    citation_en: str = Field("", description="engine.reference.citation(name, 'en')")


class YearOut(Schema):
    enterprise: EnterpriseRef
    year: int
    totals: TotalsOut
    months: list[MonthSummaryOut]
    factor_sets: list[FactorSetOut]


class InputRecordOut(Schema):
    """The activity record the line was computed from, as the enterprise reported it."""

    id: int
    line_no: int
    source_type: str
    item: str
    quantity: float
    unit: str
    source_sheet: str = Field("", description="where it was entered: a workbook sheet, an API array, 表单")
    source_row: int | None = None


class ParameterOut(Schema):
    value: float | None = None
    origin: str = Field("", description="measured | declared | prescribed | default (empty when not used)")


class FormulaOut(Schema):
    code: str
    expression: str
    standard: str


class LineOut(Schema):
    id: int
    input: InputRecordOut
    source_type: str
    scope: str = Field(..., description="1 | 2 | export | biomass")
    item: str
    item_name: str
    gas: str
    quantity: float = Field(..., description="in the activity unit")
    activity_unit: str
    unit_factor: float = Field(..., description="reported unit → activity unit")
    ncv: ParameterOut
    carbon_content: ParameterOut
    oxidation_rate: ParameterOut
    factor: ParameterOut
    factor_ref: str = Field("", description="where the factor comes from (a grid factor: its announcement)")
    emission_factor: float | None = None
    formula: FormulaOut
    emission_t: float
    gwp: float
    gwp_table: str
    tco2e: float
    market_factor: float | None = None
    market_ref: str = ""
    market_tco2e: float | None = None
    biomass_co2_t: float
    energy_tce: float
    energy_method: str = ""
    factor_set: FactorSetOut | None = Field(None, description="the set the defaults came from, with its citation")
    source_zh: str = Field("", description="the document and table of the line's library default")
    source_en: str = ""
    grid_factor_source: str = Field("", description="electricity lines: the grid factor's source (factor_ref)")
    quality_tier: int


class ClaimLineOut(Schema):
    id: int
    record: str = Field(..., description="generation:<id> or offset:<id>, the declared record")
    kind: str = Field(..., description="own_generation | gec | green_trade | ccer | forestry")
    use: str = ""
    technology: str = ""
    origin: str = ""
    status: str = ""
    reference: str = ""
    quantity: float
    unit: str
    measure: str = Field(..., description="MWh | tCO2e")
    amount: float | None = None
    moved: float
    rule: str = Field("", description="why the line counts less than declared ('' when it counts in full)")
    countable: float
    grid_factor: float | None = None
    grid_ref: str = ""
    factor_set: str = ""
    factor_set_version: str = ""
    avoided_tco2: float


class MonthOut(Schema):
    enterprise: EnterpriseRef
    entry_id: int
    year: int
    month: int
    version: int = Field(..., description="the submitted version the account was computed from")
    status: str
    reason: str = Field(..., description="submission | restatement")
    computed_at: datetime.datetime
    engine_version: str
    options: dict[str, object] = Field(..., description="the method options the run used")
    totals: TotalsOut
    gases: dict[str, float] = Field(..., description="tCO2e by gas: co2, ch4, n2o, fgas")
    by_source: dict[str, float]
    factor_sets: list[FactorSetOut]
    lines: list[LineOut]
    claim_lines: list[ClaimLineOut]
