"""Fixtures of the registry page tests: the small world (fast password hashing) and logged-in clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import World
from tests.snapshots import rows
from tests.web.helpers import fast_world, login

#: every table the register's pages and import can write (tests/snapshots.rows: ids and every column)
REGISTRY_TABLES = (
    "registry.Organisation",
    "registry.HistoricalOrganisation",
    "registry.Site",
    "registry.HistoricalSite",
    "registry.Membership",
    "registry.ApiToken",
    "auth.User",
)


@pytest.fixture
def world(settings: Any, db: Any) -> World:
    return fast_world(settings)


@pytest.fixture
def as_user(world: World) -> Any:
    """``as_user("gov")``: a client logged in as one of the world's users (a fresh client each time)."""

    def make(role: str, lang: str | None = None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=lang) if lang else Client()
        return login(client, world.users[role])

    return make


def registry_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of :data:`REGISTRY_TABLES` (users without ``last_login``: signing in to make a request writes it)."""
    out = rows(*REGISTRY_TABLES)
    out["auth.User"] = [{k: v for k, v in u.items() if k != "last_login"} for u in out["auth.User"]]
    return out
