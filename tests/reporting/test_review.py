"""Return (退回) and reject (驳回): the assigned verifier sends a submitted version back, or refuses it, with a
comment; the enterprise reads the comment and corrects the month with a new version (docs/state-machines.md)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.snapshots import REPORTING_TABLES, rows
from tests.web.helpers import fast_world, login, submit_month

pytestmark = pytest.mark.django_db

COMMENT = "原煤用量与结算单不符，请按结算单更正"


@pytest.fixture
def world(settings: Any) -> Any:
    return fast_world(settings)


def client_for(world: Any, who: str, **headers: Any) -> Client:
    return login(Client(**headers), world.users[who])


def history(html: str) -> list[tuple[str, ...]]:
    """The version page's 处理记录 table: (version, step, who, comment) per row, the time left out."""
    table = re.search(r'<table class="table" id="history">(.*?)</table>', html, re.S)
    assert table is not None
    out = []
    for row in re.findall(r"<tr data-step=[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        out.append((cells[0], cells[1], cells[2], cells[4]))
    return out


def test_a_returned_version_keeps_its_records_and_the_comment(world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    services.return_to_enterprise(world.users["verifier"], sub, f"  {COMMENT}  ")
    sub.refresh_from_db()
    assert (sub.status, sub.is_current, sub.review_comment, sub.reviewed_by) == (
        "returned",
        True,
        COMMENT,
        world.users["verifier"],
    )
    assert list(sub.activities.order_by("line_no").values_list("item", "quantity")) == [
        ("原煤", 7100),
        ("柴油", 21.5),
        ("电力", 2900),
        ("熟料", 50000),
    ]


def test_the_enterprise_reads_the_comment_and_corrects_with_a_new_version(world):
    user = world.users["cement"]
    v1 = submit_month(user, world.cement, 2024, 1)
    services.return_to_enterprise(world.users["verifier"], v1, COMMENT)
    page = client_for(world, "cement").get(reverse("reporting:period", args=[2024, 1])).content.decode()
    notice = re.search(r'<span class="review-text">(.*?)</span>', page, re.S)
    assert notice is not None and notice.group(1) == COMMENT
    v2 = services.correct(user, v1, "按核查意见更正原煤用量")
    services.submit(user, v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert [(v1.status, v1.is_current), (v2.version, v2.status, v2.is_current)] == [
        ("returned", False),
        (2, "submitted", True),
    ]


def test_a_rejected_version_is_final_and_only_a_correction_follows(world):
    user, verifier = world.users["cement"], world.users["verifier"]
    sub = submit_month(user, world.cement, 2024, 1)
    services.reject(verifier, sub, COMMENT)
    with pytest.raises(services.WorkflowError, match=r"^只有当前已提交的版本可以核查$"):
        services.verify(verifier, Submission.objects.get(pk=sub.pk))
    with pytest.raises(services.WorkflowError, match=r"^只有当前已提交（待核查）的版本可以退回$"):
        services.return_to_enterprise(verifier, sub, COMMENT)
    assert services.correct(user, sub, "按驳回意见重新报送").version == 2


def test_a_verified_version_cannot_be_rejected(world):
    verifier = world.users["verifier"]
    sub = services.verify(verifier, submit_month(world.users["cement"], world.cement, 2024, 1))
    with pytest.raises(services.WorkflowError, match=r"^只有当前已提交（待核查）的版本可以驳回$"):
        services.reject(verifier, sub, COMMENT)


@pytest.mark.parametrize("who", ["gov", "district", "admin", "cement"])
def test_only_the_assigned_verifier_may_return(world, who):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    before = rows(*REPORTING_TABLES)
    response = client_for(world, who).post(reverse("reporting:return", args=[sub.pk]), {"comment": COMMENT})
    assert response.status_code == 403
    assert rows(*REPORTING_TABLES) == before


def test_the_service_refuses_anyone_but_the_assigned_verifier(world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    with pytest.raises(PermissionDenied, match=r"^您未被指派核查该企业$"):
        services.reject(world.users["gov"], sub, COMMENT)


def test_a_verifier_not_assigned_to_the_enterprise_gets_404(world):
    sub = submit_month(world.users["steel"], world.steel, 2024, 1)
    response = client_for(world, "verifier").post(reverse("reporting:reject", args=[sub.pk]), {"comment": COMMENT})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "请填写核查意见，说明退回或驳回的原因"),
        ("en", "Please write a comment saying why it is returned or rejected"),
    ],
)
def test_a_comment_is_required_and_nothing_changes_without_one(world, language, message):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    before = rows(*REPORTING_TABLES)
    client = client_for(world, "verifier", HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(reverse("reporting:reject", args=[sub.pk]), {"comment": "   "})
    assert response.status_code == 400
    shown = re.search(
        r'<div class="alert error" role="alert" id="review-errors">(.*?)</div>', response.content.decode()
    )
    assert shown is not None and shown.group(1).strip() == message
    assert rows(*REPORTING_TABLES) == before


def test_the_service_requires_a_comment(world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    with pytest.raises(services.CommentRequired):
        services.return_to_enterprise(world.users["verifier"], sub, " \n ")


def test_the_history_shows_every_step_with_who_and_the_comment(world):
    user = world.users["cement"]
    v1 = submit_month(user, world.cement, 2024, 1)
    client_for(world, "verifier").post(reverse("reporting:return", args=[v1.pk]), {"comment": COMMENT})
    v2 = services.correct(user, Submission.objects.get(pk=v1.pk), "按核查意见更正原煤用量")
    services.submit(user, v2)
    services.verify(world.users["verifier"], Submission.objects.get(pk=v2.pk))
    services.lock(world.users["gov"], Submission.objects.get(pk=v2.pk))
    html = client_for(world, "gov").get(reverse("reporting:version", args=[v2.pk])).content.decode()
    assert history(html) == [
        ("v1", "创建草稿", "cement", ""),
        ("v1", "提交", "cement", ""),
        ("v1", "退回", "verifier", COMMENT),
        ("v2", "发起更正", "cement", "按核查意见更正原煤用量"),
        ("v2", "提交", "cement", ""),
        ("v2", "核查通过", "verifier", ""),
        ("v2", "锁定", "gov", ""),
    ]


def test_a_returned_month_counts_as_not_submitted(world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    services.return_to_enterprise(world.users["verifier"], sub, COMMENT)
    missing = services.enterprises_not_submitted("339901", 2024, 1)
    assert [m["name"] for m in missing] == ["示范水泥有限公司"]
