"""Out of scope looks exactly like missing: an id that belongs to another organisation and an id that
does not exist get the same status and the same body, on every page and API endpoint (no id probing).

URL patterns are discovered like the scoping matrix (:func:`tests.test_scoping_matrix.discover`), so a
new page or endpoint with an object id is covered without editing this file. Object ids in the query
string (``?org=``, ``?alert=`` …) are compared the same way on the pages without object parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.factories import build_world, cement_month
from tests.test_scoping_matrix import COVERED, PUBLIC, Route

pytestmark = pytest.mark.django_db

#: kinds of route parameter whose value names an object of one organisation
ID_KINDS = {"org", "uscc", "submission", "entry", "run", "line", "evidence", "consent", "token", "alert"}
ID_KINDS |= {"site", "membership"}  # the register's sites and memberships (registry)
ID_KINDS |= {"consent_request"}  # a bank's consent request to the enterprise (finance)
ID_KINDS |= {"credit_report"}  # a credit report a bank generated of the enterprise (finance)
ID_KINDS |= {"product", "loan_application", "loan"}  # a bank's loan product, the firm's application, its loan
ID_KINDS |= {"cert_application"}  # the firm's transition certification application (finance)
MISSING = 987_654_321
#: who asks, and whose objects they may not read
READERS = {
    "cement": "steel",  # enterprise staff: another firm
    "district": "steel",  # 东城区 government: a firm of 西城区
    "bank": "steel",  # a bank without that firm's consent
    "bank2": "cement",  # a bank with no consent at all
    "verifier": "steel",  # a verifier not assigned to the firm
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: what differs between two answers to the same request: CSRF tokens (masked anew in every page: the form field, the
#: cookie, htmx's X-CSRFToken header in a re-rendered page) and request ids
_VOLATILE = re.compile(
    rb'(name="csrfmiddlewaretoken" value=")[^"]*"|(csrftoken=)[^;]*|("request_id": ?)"[0-9a-f]*"'
    rb'|("X-CSRFToken": ")[^"]*"'
)


@pytest.fixture(scope="module")
def objs(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    import tempfile

    from django.test import override_settings

    from dualcarbon.registry import api_tokens
    from dualcarbon.registry import services as registry
    from dualcarbon.registry.models import Membership
    from dualcarbon.reporting import services

    with (
        tempfile.TemporaryDirectory(prefix="dc-parity-media-") as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        world = build_world()
        values: dict[str, dict[str, Any]] = {}
        for key, org in (("cement", world.cement), ("steel", world.steel)):
            user = world.users[key]
            draft = services.draft_for(user, org, 2024, 3)
            services.save_draft(user, draft, services.DraftData(**cement_month()))
            sub = services.submit(user, draft)
            ev = services.attach_evidence(user, sub, SimpleUploadedFile("i.pdf", PDF, "application/pdf"), "invoice")
            entry = sub.entries.get(is_current=True)
            token, _key = api_tokens.issue(user, "parity")
            values[key] = {
                "org": org.pk,
                "uscc": org.uscc,
                "submission": sub.pk,
                "entry": entry.pk,
                "run": entry.run_id,
                "line": entry.run.lines.first().pk,
                "evidence": ev.pk,
                "consent": _consent(world, org),
                "token": token.pk,
                "year": 2024,
                "month": 3,
                "period": "2024-03",
                "alert": _alert(org),
                "site": registry.add_site(world.users["admin"], org, f"{key} 厂区", org.region).pk,
                "membership": Membership.objects.get(user=user, organisation=org).pk,
                "consent_request": _consent_request(world, org),
                "credit_report": _credit_report(world, org),
            }
            values[key].update(_loan(world, org))
            values[key]["cert_application"] = _cert(world, org)
        package, policy = _policy_package(world)
        for v in values.values():  # a published package of the city and one of its policies (no enterprise's data)
            v.update(package=package, policy=policy)
        keys = {role: api_tokens.issue(world.users[role], "parity-api")[1] for role in ("cement", "steel")}
        yield {"world": world, "values": values, "keys": keys}
        transaction.set_rollback(True)


def _consent(world: Any, org: Any) -> int:
    """The firm's consent to a bank (build_world gives cement's; steel consents to the bank without any other)."""
    import datetime

    from dualcarbon.registry.models import Consent

    consent = Consent.objects.filter(enterprise=org).first() or Consent.objects.create(
        enterprise=org,
        bank=world.other_bank,
        purpose="贸易融资",
        data_from="2024-01",
        data_until="2024-06",
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
        created_by=world.users["steel"],
    )
    return consent.pk


def _loan(world: Any, org: Any) -> dict[str, int]:
    """A product of the firm's bank (cement's: the first bank; steel's: the second), the firm's application to it and
    the loan booked from it (finance; zeros when the app is not installed)."""
    import datetime
    from decimal import Decimal

    from django.apps import apps

    if not apps.is_installed("dualcarbon.finance"):
        return {"product": 0, "loan_application": 0, "loan": 0}
    from dualcarbon.finance import lending
    from dualcarbon.finance.models import LoanApplication
    from dualcarbon.registry.models import Consent

    mine = org == world.cement
    bank, banker = (world.bank, world.users["bank"]) if mine else (world.other_bank, world.users["bank2"])
    product = lending.create_product(
        banker,
        None,
        code=f"TXD-{org.pk}",
        name_zh="碳效贷（对照）",
        purpose_tag="carbon",
        valid_from=datetime.date(2025, 1, 1),
        rule={"fact": "industry", "op": "in", "value": ["30", "31"]},
        min_amount="100000",
        max_amount="5000000",
        min_term=6,
        max_term=36,
        base_rate_bp=385,
        grade_spreads={"1": -40, "2": -20, "3": 0, "4": 30},
    )
    application = LoanApplication.objects.create(
        product=product,
        version=product.versions.get(),
        bank=bank,
        enterprise=org,
        consent=Consent.objects.filter(enterprise=org, bank=bank).first(),
        amount=Decimal("1000000"),
        term_months=12,
        purpose="对照：流动资金",
        evaluation={},
        grade=3,
        quoted_rate_bp=385,
        applied_by=world.users["cement" if mine else "steel"],
    )
    lending.decide(banker, application, approve=True, amount="1000000", rate_bp=385, term_months=12)
    return {"product": product.pk, "loan_application": application.pk, "loan": application.loan.pk}


def _cert(world: Any, org: Any) -> int:
    """The firm's certification application (cement's reviewed by the world's verifier, steel's by another body)."""
    import datetime
    from decimal import Decimal

    from django.apps import apps

    if not apps.is_installed("dualcarbon.finance"):
        return 0
    from dualcarbon.finance.models import CertApplication, CertRuler
    from dualcarbon.registry.models import Organisation

    mine = org == world.cement
    ruler = CertRuler.objects.create(
        region=world.city,
        industry_code=org.industry_id,
        kind="project",
        version=1,
        valid_from=datetime.date(2020, 1, 1),
        sector_name="对照行业",
        metric="energy_per_product",
        unit="kgce/t",
        entry_value=Decimal("100"),
        advanced_value=Decimal("90"),
        min_reduction_pct=Decimal("0"),
        principles=["no_lock_in"],
        source="对照",
        created_by=world.users["admin"],
    )
    verifier = world.verifier if mine else Organisation.objects.create(kind="verifier", name="对照核查机构")
    return CertApplication.objects.create(
        enterprise=org,
        kind="project",
        industry_code=org.industry_id,
        ruler=ruler,
        name="对照项目",
        verifier=verifier,
        baseline_year=2024,
        baseline={},
        declared_value=Decimal("95"),
        expected_savings_tce=Decimal("10"),
        expected_reduction_tco2=Decimal("20"),
        investment=Decimal("1000000"),
        evidence="对照",
        applied_by=world.users["cement" if mine else "steel"],
    ).pk


def _credit_report(world: Any, org: Any) -> str:
    """A credit report of the firm, by the bank of its consent (cement's: the first bank; steel's: the second)."""
    import datetime

    from django.utils import timezone

    from dualcarbon.finance.models import CreditReport
    from dualcarbon.registry.models import Consent

    consent = Consent.objects.filter(enterprise=org).first()
    assert consent is not None
    return CreditReport.objects.create(
        number=f"XYBG-20240101-{org.pk:010d}",
        enterprise=org,
        bank=consent.bank,
        consent=consent,
        generated_by=world.users["bank" if consent.bank == world.bank else "bank2"],
        generated_at=timezone.make_aware(datetime.datetime(2024, 7, 1, 9)),
        content={"number": f"XYBG-20240101-{org.pk:010d}"},
        content_hash="0" * 64,
    ).number


def _consent_request(world: Any, org: Any) -> int:
    """A bank's pending consent request to the firm (finance): to cement by the first bank, to steel by the second
    (so that neither bank of READERS sent the request it is asked about: withdrawing it is out of its scope)."""
    from dualcarbon.finance.models import ConsentRequest

    mine = org == world.cement
    return ConsentRequest.objects.create(
        bank=world.bank if mine else world.other_bank,
        enterprise=org,
        purpose_code="credit_assessment",
        scope="accounts",
        data_from="2024-01",
        data_until="2024-12",
        valid_until="2099-12-31",
        requested_by=world.users["bank" if mine else "bank2"],
    ).pk


def _policy_package(world: Any) -> tuple[int, int]:
    """The city's policy package and one policy (policy app; 0, 0 when it is not installed)."""
    import datetime

    from django.apps import apps

    if not apps.is_installed("dualcarbon.policy"):
        return 0, 0
    from dualcarbon.policy import services as policy

    pkg = policy.create_package(
        world.users["gov"],
        world.city,
        name_zh="示范市配套政策（对照）",
        publisher="示范市发展和改革委员会",
        document="示发改〔2025〕1号",
        published_on=datetime.date(2025, 1, 10),
    )
    pol = policy.create_policy(
        world.users["gov"],
        pkg,
        code="award",
        name_zh="碳效提升奖励",
        kind="subsidy",
        valid_from=datetime.date(2025, 1, 1),
        rule={"all": [{"fact": "grade", "op": "<=", "value": 2}]},
        benefit_kind="none",
    )
    return pkg.pk, pol.pk


def _alert(org: Any) -> int:
    """An early-warning alert about the firm (monitoring's POST takes its id in the form)."""
    from django.apps import apps

    if not apps.is_installed("dualcarbon.monitoring"):
        return 0
    from dualcarbon.monitoring.models import Alert, AlertRule

    rule = AlertRule.objects.get_or_create(kind=AlertRule.Kind.MISSING)[0]
    return Alert.objects.create(
        rule=rule, kind=rule.kind, enterprise=org, region_id=org.region_id, period="2024-03", key=f"parity/{org.pk}"
    ).pk


def _fill(route: Route, values: dict[str, Any], missing: bool) -> str:
    kinds = route.kinds()
    url = route.route
    for name, conv in route.params:
        kind = kinds[name]
        assert kind is not None
        value: Any = values[kind]
        if missing and kind in ID_KINDS:
            value = "91000000MA00000000" if kind == "uscc" else MISSING
        text = str(conv.to_url(value) if conv is not None else value)
        url = re.sub(r"<(?:[^>:]+:)?" + re.escape(name) + ">", lambda _m, t=text: t, url, count=1)
    return "/" + url


def _client(objs: dict[str, Any], role: str) -> Client:
    c = Client()
    c.force_login(objs["world"].users[role])
    return c


def _ask(client: Client, method: str, url: str, route: Route, key: str | None = None, data: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if route.is_api and method != "GET":
        return getattr(client, method.lower())(
            url, data=json.dumps(data or {}), content_type="application/json", headers=headers
        )
    return getattr(client, method.lower())(url, data=data or {}, headers=headers)


def _body(r: Any) -> bytes:
    body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
    return _VOLATILE.sub(rb"\1\2\3\4", body)


def _methods(route: Route) -> list[str]:
    return sorted(route.methods) if route.methods is not None else ["GET", "POST"]


OBJECT_ROUTES = [r for r in COVERED if r.fillable() and r.object_kinds() & ID_KINDS and r.name not in PUBLIC]
QUERY_ROUTES = [r for r in COVERED if r.fillable() and not r.object_kinds() and r.name not in PUBLIC]


def test_routes_are_found() -> None:
    names = {r.name for r in OBJECT_ROUTES}
    assert {"api:submission", "api:ratings", "accounting:entry", "reporting:version"} <= names, names


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.id)
def test_out_of_scope_id_answers_like_a_missing_id(objs: dict[str, Any], route: Route) -> None:
    failures = []
    askers = [("cement", objs["keys"]["cement"])] if route.is_api else [(r, None) for r in READERS]
    for role, key in askers:
        other = objs["values"][READERS[role]]
        for method in _methods(route):
            client = Client() if route.is_api else _client(objs, role)
            out = _ask(client, method, _fill(route, other, missing=False), route, key)
            gone = _ask(client, method, _fill(route, other, missing=True), route, key)
            where = f"{method} {route.route} as {role}"
            if out.status_code != gone.status_code:
                failures.append(f"{where}: out of scope → {out.status_code}, missing → {gone.status_code}")
            elif _body(out) != _body(gone):
                failures.append(f"{where}: same status {out.status_code} but different bodies")
            elif out.status_code < 400 and method == "GET":
                failures.append(f"{where}: another organisation's object answered {out.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("route", QUERY_ROUTES, ids=lambda r: r.id)
def test_out_of_scope_query_id_answers_like_a_missing_one(objs: dict[str, Any], route: Route) -> None:
    """``?org=<another firm>`` and ``?org=<no such firm>`` (and the other id parameters) look the same."""
    failures = []
    askers = [("cement", objs["keys"]["cement"])] if route.is_api else [(r, None) for r in READERS]
    for role, key in askers:
        other = objs["values"][READERS[role]]
        for method in _methods(route):
            answers = []
            for missing in (False, True):
                q = {p: (MISSING if missing else other[p]) for p in ("org", "entry", "submission", "alert")}
                url = _fill(route, other, missing=False)
                client = Client() if route.is_api else _client(objs, role)
                if method == "GET":
                    answers.append(_ask(client, method, f"{url}?{urlencode(q)}", route, key))
                else:
                    answers.append(_ask(client, method, url, route, key, q))
            out, gone = answers
            where = f"{method} {route.route} as {role}"
            if out.status_code != gone.status_code:
                failures.append(f"{where}: out of scope → {out.status_code}, missing → {gone.status_code}")
            elif out.status_code >= 400 and _body(out) != _body(gone):
                failures.append(f"{where}: same status {out.status_code} but different bodies")
    assert not failures, "\n".join(failures)
