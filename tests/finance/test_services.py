"""Consent owned by the enterprise (docs/finance.md): the enterprise's staff grant, narrow, extend and revoke; a bank
requests and the enterprise accepts or declines; every change is kept in the consent's history; bad input is refused
field by field in the user's language and changes nothing; only the enterprise's staff change its consents and only
bank staff request."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from dualcarbon.finance import queries, services
from dualcarbon.finance.models import ConsentRequest
from dualcarbon.registry import access
from dualcarbon.registry.models import Consent
from tests.factories import World, build_world
from tests.web.helpers import data_for_the_module

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-services")]

TODAY = timezone.localdate()
NEXT_YEAR = TODAY + datetime.timedelta(days=365)
TERMS: dict[str, Any] = {
    "purpose_code": "credit_assessment",
    "scopes": ["summary", "accounts", "grade"],
    "data_from": "2024-01",
    "data_until": "2024-12",
    "valid_until": NEXT_YEAR,
}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        yield build_world()


def counts() -> tuple[int, int, int]:
    return Consent.objects.count(), Consent.history.count(), ConsentRequest.objects.count()


def messages(exc: ValidationError, lang: str) -> dict[str, list[str]]:
    with translation.override(lang):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}


def fresh(consent: Consent) -> Consent:
    """The consent as stored."""
    return Consent.objects.get(pk=consent.pk)


def test_grant_narrow_extend_revoke_each_kept_in_history(world):
    cement, bank, user = world.cement, world.other_bank, world.users["cement"]
    consent = services.grant_consent(user, cement, bank, note="流动资金贷款", **TERMS)
    assert (consent.scope, consent.purpose_code, consent.purpose) == (
        "accounts,summary,grade",
        "credit_assessment",
        "流动资金贷款",
    )
    assert (consent.data_from, consent.data_until, consent.valid_from, consent.valid_until) == (
        "2024-01",
        "2024-12",
        TODAY,
        NEXT_YEAR,
    )
    assert consent.bank == bank and consent.created_by == user
    assert access.reading_consent(world.users["bank2"], cement) == consent

    narrowed = services.change_consent(user, consent, scopes=["summary"], data_from="2024-07")
    assert (narrowed.scope, narrowed.data_from, narrowed.data_until) == ("summary", "2024-07", "2024-12")
    extended = services.change_consent(user, narrowed, valid_until=NEXT_YEAR + datetime.timedelta(days=30))
    assert extended.valid_until == NEXT_YEAR + datetime.timedelta(days=30)
    mixed = services.change_consent(user, extended, scopes="summary,certification", data_until="2024-09")
    assert mixed.scope == "summary,certification"
    same = services.change_consent(user, mixed, data_until="2024-09")  # nothing differs: no version
    revoked = services.revoke_consent(user, same)
    assert revoked.revoked_at is not None
    assert access.reading_consent(world.users["bank2"], cement) is None

    rows = list(consent.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.history_change_reason, r.history_user_id) for r in rows] == [
        ("+", "grant", user.pk),
        ("~", "narrow", user.pk),
        ("~", "extend", user.pk),
        ("~", "change", user.pk),
        ("~", "revoke", user.pk),
    ]
    with translation.override("zh-hans"):
        shown = queries.history(fresh(consent))
        assert [str(c.reason_label) for c in shown] == [
            "授予授权",
            "收窄授权",
            "扩大或延长授权",
            "调整授权",
            "撤销授权",
        ]
        assert [(str(label), old, new) for label, old, new in shown[1].changes] == [
            ("授权范围", "月度碳账户、账户汇总、评级及其说明", "账户汇总"),
            ("数据起始期", "2024-01", "2024-07"),
        ]
        assert [str(label) for label, _old, _new in shown[4].changes] == ["撤销时间"]
        assert {c.who for c in shown} == {"cement"}
    with translation.override("en"):
        assert [str(c.reason_label) for c in queries.history(fresh(consent))] == [
            "Consent granted",
            "Consent narrowed",
            "Consent widened or extended",
            "Consent changed",
            "Consent revoked",
        ]


def test_a_revoked_consent_cannot_be_changed_or_revoked_again(world):
    user = world.users["cement"]
    consent = services.grant_consent(user, world.cement, world.other_bank, **TERMS)
    services.revoke_consent(user, consent)
    before = counts()
    with pytest.raises(ValidationError) as changed:
        services.change_consent(user, consent, data_until="2025-06")
    assert messages(changed.value, "zh-hans") == {"__all__": ["该授权已撤销，不能再修改；如需恢复，请重新授权"]}
    assert messages(changed.value, "en") == {
        "__all__": ["This consent has been revoked and can no longer be changed; grant a new one to restore it"]
    }
    with pytest.raises(ValidationError) as again:
        services.revoke_consent(user, consent)
    assert messages(again.value, "zh-hans")["__all__"][0].startswith("该授权已于 ")
    assert counts() == before


def test_bad_terms_are_refused_field_by_field_in_the_users_language_and_change_nothing(world):
    user = world.users["cement"]
    before = counts()
    yesterday = TODAY - datetime.timedelta(days=1)
    bad = {
        "purpose_code": "marketing",
        "scopes": ["summary", "everything"],
        "data_from": "2024-12",
        "data_until": "2024-01",
        "valid_until": yesterday,
    }
    with pytest.raises(ValidationError) as refused:
        services.grant_consent(user, world.cement, world.steel, **bad)  # steel is no bank
    assert messages(refused.value, "zh-hans") == {
        "purpose_code": ["请选择用途：授信评估、贷后监测或信息披露"],
        "scope": ["授权范围无效：everything"],
        "data_until": ["数据截止期（2024-01）不能早于数据起始期（2024-12）"],
        "valid_until": [f"授权到期日（{yesterday.isoformat()}）不能早于今天"],
        "bank": ["请选择一家银行"],
    }
    assert messages(refused.value, "en") == {
        "purpose_code": ["Choose a purpose: credit assessment, loan monitoring or disclosure"],
        "scope": ["Invalid scope: everything"],
        "data_until": ["The end of the data period (2024-01) cannot be before its start (2024-12)"],
        "valid_until": [f"The expiry date ({yesterday.isoformat()}) cannot be before today"],
        "bank": ["Choose a bank"],
    }
    with pytest.raises(ValidationError) as formats:
        services.grant_consent(
            user, world.cement, world.bank, **{**TERMS, "scopes": [], "data_from": "2024-13", "valid_until": "明年"}
        )
    assert messages(formats.value, "zh-hans") == {
        "scope": ["请至少选择一项授权范围"],
        "data_from": ["数据起始期须为 YYYY-MM 格式的月份（2000–2100 年）"],
        "valid_until": ["授权到期日须为 YYYY-MM-DD 格式的日期"],
    }
    consent = Consent.objects.get(enterprise=world.cement, bank=world.bank)
    with pytest.raises(ValidationError) as narrowed:
        services.change_consent(user, consent, data_until="2023-12")
    assert messages(narrowed.value, "en") == {
        "data_until": ["The end of the data period (2023-12) cannot be before its start (2024-01)"]
    }
    assert fresh(consent).data_until == "2024-06"
    assert counts() == before


def test_only_the_enterprises_own_staff_change_its_consents(world):
    consent = Consent.objects.get(enterprise=world.cement, bank=world.bank)
    before = counts()
    for who in ("steel", "gov", "district", "bank", "verifier", "admin"):
        user = world.users[who]
        with pytest.raises(PermissionDenied):
            services.grant_consent(user, world.cement, world.other_bank, **TERMS)
        with pytest.raises(PermissionDenied):
            services.change_consent(user, consent, data_until="2024-12")
        with pytest.raises(PermissionDenied):
            services.revoke_consent(user, consent)
    assert counts() == before
    assert fresh(consent).revoked_at is None and fresh(consent).data_until == "2024-06"


def test_a_bank_requests_and_the_enterprise_accepts_with_one_click(world):
    bank_user, user = world.users["bank2"], world.users["steel"]
    req = services.request_consent(
        bank_user,
        " 91339902ma27u0ln1w ",
        purpose_code="loan_monitoring",
        scopes=["grade", "accounts"],
        data_from="2024-01",
        data_until="2024-06",
        valid_until=NEXT_YEAR,
        message="贷后监测需要",
    )
    assert (req.bank, req.enterprise, req.status, req.scope, req.requested_by) == (
        world.other_bank,
        world.steel,
        "pending",
        "accounts,grade",
        bank_user,
    )
    assert access.reading_consent(bank_user, world.steel) is None
    consent = services.accept_request(user, req)
    req.refresh_from_db()
    assert (req.status, req.decided_by, req.consent) == ("accepted", user, consent)
    assert (consent.enterprise, consent.bank, consent.purpose_code, consent.scope) == (
        world.steel,
        world.other_bank,
        "loan_monitoring",
        "accounts,grade",
    )
    assert (consent.data_from, consent.data_until, consent.valid_from, consent.valid_until) == (
        "2024-01",
        "2024-06",
        TODAY,
        NEXT_YEAR,
    )
    assert list(consent.history.values_list("history_change_reason", "history_user_id")) == [("accept", user.pk)]
    fresh_bank_user = type(bank_user).objects.get(pk=bank_user.pk)
    assert access.reading_consent(fresh_bank_user, world.steel) == consent
    before = counts()
    with pytest.raises(ValidationError) as twice:
        services.accept_request(user, req)
    assert messages(twice.value, "zh-hans") == {"__all__": ["该申请已答复或已撤回（已接受），不能再次答复"]}
    assert counts() == before


def test_the_enterprise_declines_with_a_reason_and_the_bank_may_ask_again(world):
    bank_user, user = world.users["bank"], world.users["steel"]
    terms = {**TERMS, "scopes": ["credit_report"], "purpose_code": "disclosure"}
    req = services.request_consent(bank_user, world.steel.uscc, **terms)
    with pytest.raises(ValidationError) as duplicate:
        services.request_consent(bank_user, world.steel.uscc, **terms)
    assert messages(duplicate.value, "en") == {"uscc": ["A request to this enterprise is already awaiting its answer"]}
    declined = services.decline_request(user, req, "暂无融资需求")
    assert (declined.status, declined.decline_reason, declined.decided_by, declined.consent) == (
        "declined",
        "暂无融资需求",
        user,
        None,
    )
    assert not Consent.objects.filter(enterprise=world.steel, bank=world.bank).exists()
    again = services.request_consent(bank_user, world.steel.uscc, **terms)
    assert again.status == "pending"


def test_only_bank_staff_request_and_only_the_enterprise_answers(world):
    before = counts()
    for who in ("cement", "gov", "verifier", "admin"):
        with pytest.raises(PermissionDenied):
            services.request_consent(world.users[who], world.steel.uscc, **TERMS)
    with pytest.raises(ValidationError) as unknown:
        services.request_consent(world.users["bank"], "91330000000000000X", **TERMS)
    assert messages(unknown.value, "zh-hans") == {"uscc": ["平台上没有以该统一社会信用代码登记的企业"]}
    with pytest.raises(PermissionDenied):
        services.request_consent(world.users["bank"], world.steel.uscc, bank=world.other_bank, **TERMS)
    assert counts() == before
    req = services.request_consent(world.users["bank"], world.steel.uscc, **TERMS)
    for who in ("cement", "gov", "bank", "admin"):
        with pytest.raises(PermissionDenied):
            services.accept_request(world.users[who], req)
        with pytest.raises(PermissionDenied):
            services.decline_request(world.users[who], req)
    req.refresh_from_db()
    assert req.status == "pending" and req.decided_at is None
