"""The loan tests' one rated world (tests.finance.loans.loans_world.py), built once for the package when a test asks for
``lw`` (the consent and credit-report tests do not)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.finance.loans.loans_world import LoansWorld, build
from tests.web.helpers import data_for_the_module


@pytest.fixture(scope="package")
def lw(django_db_setup: Any, django_db_blocker: Any) -> Iterator[LoansWorld]:
    with data_for_the_module(django_db_blocker):
        yield build()
