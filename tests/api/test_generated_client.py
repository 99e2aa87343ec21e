"""A client generated from /api/openapi.json with openapi-python-client drives the API on a live server (loopback):
save a draft, submit, read the period; a negative quantity comes back as the declared ErrorOut with a located
finding, a bad token as a declared 401. Generating needs no network."""

from __future__ import annotations

import importlib
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.registry import api_tokens
from tests.factories import build_world, cement_month

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "dualcarbon_api_client"


@pytest.fixture
def generated(live_server: Any, tmp_path: Path) -> Any:
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(f"{live_server.url}/api/openapi.json", timeout=60) as answer:
        document.write_bytes(answer.read())
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no formatter needed on the generated code
    command = [str(GENERATOR), "generate", "--path", str(document), "--output-path", str(tmp_path / PACKAGE)]
    run = subprocess.run(
        [*command, "--meta", "none", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.mark.slow
def test_a_generated_client_reports_a_month_and_reads_errors(generated: Any, live_server: Any) -> None:
    world = build_world()
    key = api_tokens.issue(world.users["cement"], "generated client")[1]
    client = generated.AuthenticatedClient(base_url=live_server.url, token=key)
    reporting = importlib.import_module(f"{PACKAGE}.api.reporting")
    models = importlib.import_module(f"{PACKAGE}.models")
    put_draft = importlib.import_module(f"{reporting.__name__}.put_draft")
    submit = importlib.import_module(f"{reporting.__name__}.submit")
    periods = importlib.import_module(f"{reporting.__name__}.periods")

    # the reporting flow
    saved = put_draft.sync_detailed(2024, 1, client=client, body=models.DraftIn.from_dict(cement_month()))
    assert saved.status_code == 200, saved.content
    assert isinstance(saved.parsed, models.DraftOut) and saved.parsed.errors == 0 and saved.parsed.version == 1
    done = submit.sync(2024, 1, client=client)
    assert isinstance(done, models.SubmitOut) and done.status == "submitted" and done.account.total_tco2e > 30000
    months = periods.sync(client=client, year=2024)
    assert [m.status for m in months][:2] == ["submitted", None] and months[0].submission_id == done.submission_id

    # an error case: the declared ErrorOut, with the finding located
    bad = cement_month()
    bad["activities"][0]["quantity"] = -7100
    refused = put_draft.sync_detailed(2024, 2, client=client, body=models.DraftIn.from_dict(bad))
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.ErrorOut)
    (finding,) = refused.parsed.errors
    assert (finding.sheet, finding.row, finding.column, finding.rule) == ("activities", 1, "quantity", "negative")
    assert "不能为负" in finding.message and refused.parsed.request_id

    # a bad token: a declared 401, parsed like every other error
    stranger = generated.AuthenticatedClient(base_url=live_server.url, token="dc_not-a-key")
    denied = periods.sync_detailed(client=stranger, year=2024)
    assert denied.status_code == 401 and isinstance(denied.parsed, models.ErrorOut)
