"""Fixtures of the API tests: the small world and an enterprise token (the cement staff member's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from dualcarbon.registry import api_tokens
from tests.factories import build_world

BASE = "/api/reporting"


@pytest.fixture
def world(db: Any) -> Any:
    return build_world()


@pytest.fixture
def key(world: Any) -> str:
    return api_tokens.issue(world.users["cement"], "ERP 能源模块")[1]


def client(key: str | None, lang: str | None = None) -> Client:
    headers = {}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if lang:
        headers["HTTP_ACCEPT_LANGUAGE"] = lang
    return Client(**headers)


def put(c: Client, path: str, body: Any) -> Any:
    return c.put(BASE + path, json.dumps(body, default=str), content_type="application/json")


def post(c: Client, path: str, body: Any = None) -> Any:
    return c.post(BASE + path, json.dumps(body if body is not None else {}), content_type="application/json")
