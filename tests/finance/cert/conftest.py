"""The certification tests' one world (tests.finance.cert.cert_world), built once for the package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.finance.cert.cert_world import CertWorld, build
from tests.web.helpers import data_for_the_module


@pytest.fixture(scope="package")
def cw(django_db_setup: Any, django_db_blocker: Any) -> Iterator[CertWorld]:
    with data_for_the_module(django_db_blocker):
        yield build()
