"""One rated world for the loan tests of a module: build_world() + five cement peers, twelve months of 2024 rated,
and two products of the bank that reads cement (docs/finance.md § Products)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from dualcarbon.finance import lending
from dualcarbon.finance.models import Product
from dualcarbon.rating import services as rating
from tests.rating.helpers import rated_world

YEAR = 2024
#: grade-linked pricing of the carbon-efficiency loan: base 385 bp (the 1-year LPR of 2024-07 … 2025-04 was 335 bp,
#: a bank's own base for the demo), 1 级 −40, 2 级 −20, 3 级 0, 4 级 +30
SPREADS = {"1": -40, "2": -20, "3": 0, "4": 30}


@dataclass
class LoansWorld:
    rw: Any
    product: Product  # 碳效贷: grade ≤ 4 in 示范市's industries 30/31
    strict: Product  # 转型贷: grade ≤ 1 and intensity ≤ 0.5 (cement misses it)

    @property
    def world(self) -> Any:
        return self.rw.world

    @property
    def users(self) -> dict[str, Any]:
        return self.rw.users


def build() -> LoansWorld:
    rw = rated_world(typo=False)
    rating.rate_region("3399", YEAR)
    bank = rw.users["bank"]
    start = datetime.date(2025, 1, 1)
    product = lending.create_product(
        bank,
        None,
        code="TXD",
        name_zh="碳效贷",
        name_en="Carbon efficiency loan",
        purpose_tag="carbon",
        valid_from=start,
        rule={
            "all": [{"fact": "grade", "op": "<=", "value": 4}, {"fact": "industry", "op": "in", "value": ["30", "31"]}]
        },
        min_amount="100000",
        max_amount="20000000",
        min_term=6,
        max_term=36,
        base_rate_bp=385,
        grade_spreads=SPREADS,
    )
    strict = lending.create_product(
        bank,
        None,
        code="ZXD",
        name_zh="转型贷",
        purpose_tag="transition",
        valid_from=start,
        rule={"all": [{"fact": "grade", "op": "<=", "value": 1}, {"fact": "intensity", "op": "<=", "value": "0.5"}]},
        min_amount="1000000",
        max_amount="50000000",
        min_term=12,
        max_term=60,
        base_rate_bp=360,
        grade_spreads={"1": -30},
    )
    return LoansWorld(rw, product, strict)
