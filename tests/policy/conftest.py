"""One rated world for the policy tests of a module: build_world() + five cement peers, twelve months of 2023
and of 2024 each (the 2024 months burn less coal: intensities fall), both years rated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from dualcarbon.rating import services as rating
from tests.rating.helpers import month_data, rated_world, submit_batch
from tests.web.helpers import data_for_the_module

YEAR = 2024


@dataclass
class PolicyWorld:
    rw: Any

    @property
    def world(self) -> Any:
        return self.rw.world

    @property
    def users(self) -> dict[str, Any]:
        return self.rw.users


def build() -> PolicyWorld:
    rw = rated_world(typo=False)
    items = []
    for m in range(1, 13):  # 2023: 10 % more coal than 2024 for everyone
        items.append((rw.users["cement"], rw.world.cement, 2023, m, month_data(7810.0)))
        items.append((rw.users["steel"], rw.world.steel, 2023, m, month_data(9900.0)))
        for i, org in enumerate(rw.peers):
            items.append((rw.users[f"peer{i}"], org, 2023, m, month_data((5000.0 + 800.0 * i) * 1.1)))
    submit_batch(items)
    rating.rate_region("3399", 2023)
    rating.rate_region("3399", YEAR)
    return PolicyWorld(rw)


@pytest.fixture(scope="package")
def pw(django_db_setup: Any, django_db_blocker: Any) -> Iterator[PolicyWorld]:
    with data_for_the_module(django_db_blocker):
        yield build()
