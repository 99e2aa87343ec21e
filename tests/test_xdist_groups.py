"""The suite's parallel run keeps each xdist group on one worker (docs/testing.md § Timings).

`make pytest` and `make pytest-pg` run with ``--dist loadgroup``: a module that builds its world once
(``data_for_the_module``), the Spark tests (one JVM) and the browser tests (one Chromium) each name a group, and
pytest-xdist sends a group's tests to one worker by renaming them ``<id>@<group>``. Under pytest 9.2 with
pytest-xdist 3.8 the renaming silently did nothing (pytest keeps the id elsewhere), every group was split across
the workers and each built its world, JVM and browser twice; pyproject.toml pins pytest below 9 until xdist follows.
This test fails if that happens again."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("xdist-guard")


def test_a_grouped_test_carries_its_group_under_loadgroup(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not a pytest-xdist worker of a --dist loadgroup run (make pytest runs it there)")
    assert request.node.nodeid.endswith("@xdist-guard"), request.node.nodeid
