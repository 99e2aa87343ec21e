"""Scoping matrix: every page and API endpoint × every role — nobody reads or writes another organisation's data.

URL patterns are discovered from ``django.urls.get_resolver()`` (nested includes and the ninja API's
routes), so a new page is covered without editing this file. Roles: anonymous and the nine users of
:func:`tests.factories.build_world`. Subjects: the cement enterprise (东城区 339901: seen by its staff,
the city and district governments, its assigned verifier, the consenting bank for 2024-01..06, the
admin), steel (西城区 339902: its staff, the city, the admin) and the far-away enterprise in 杭州 (its
own staff and the admin only).

* **Object patterns** (parameters naming an organisation, submission, account entry, evidence,
  region …) are filled with each subject's objects. A role outside the subject's scope must get 404,
  exactly like a missing object (an API operation that takes tokens only: 401 without a token); a role
  inside it 200 or a redirect (:data:`NARROWER` lists pages meant for fewer roles). Every write method
  by a role outside the scope — or inside it but not among :data:`WRITERS` — must change no row in any
  table (and be refused with a 4xx when out of scope).
* **Other patterns** (no object parameters, e.g. ``report/<year>/<month>/``, the region page) are
  requested plainly and with every subject in the query string (``?org=…&district=…&year=…``): the
  answer must not show an enterprise outside the role's scope, a refused read answers 404, and a write
  by a role outside the subject's scope must leave the subject's rows unchanged.
* A GET answers 405 only where the view takes no GET at all (the admin gets 405 too).
* **Every 200 response** (HTML, JSON, xlsx, PDF through poppler's ``pdftotext``) is searched for the
  names and USCCs of enterprises outside the role's scope.
* **Anonymous**: pages redirect to the login page, the API answers 401 (:data:`PUBLIC` excepted).

A pattern whose parameters cannot be filled fails :func:`test_every_pattern_is_covered`: teach
:data:`PARAM_KINDS` the parameter, or list the pattern in :data:`EXPLICIT` with the reason it is safe.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------------------------------
# what is deliberately outside the matrix, or narrower than the scope rules (stale entries fail)

#: URL name, or route prefix ending in "/", → why it is not in the matrix
EXPLICIT: dict[str, str] = {
    "admin/": "Django admin: gated by is_staff, checked by test_admin_is_staff_only",
    "set_language": "i18n language switch: stores a preference, reads and writes no data",
    "registry:set_password": "an invited user's one-time link to set a password: public by design, a signed single-use "
    "token (Django's password-reset tokens); tests/registry/test_sites_and_users.py",
}
#: views left out wherever they are mounted (dotted path → why); none: uploaded files are served only by
#: reporting:evidence_file (test_uploaded_evidence_is_served_only_by_the_scoped_view)
EXPLICIT_VIEWS: dict[str, str] = {}

#: pages anyone may open without logging in (URL name → reason)
PUBLIC: dict[str, str] = {
    "web:login": "the login page",
    "web:logout": "logging out needs no login",
    "api:openapi-json": "the API schema (no data)",
    "api:openapi-view": "the API documentation page (no data)",
    "api:api-root": "the API's root: no operation (404), no data",
    "rating-verify": "the page a rating QR label links to (opaque token)",
    "public-stats": "public statistics: district × industry aggregates, groups under 3 enterprises suppressed",
    "public-methods": "the published accounting methods (docs/methods.md): no data",
    "finance:report_verify": "the page a credit report's QR code links to: the enterprise's name and the date only "
    "when the presented hash matches the stored one (docs/finance.md § The credit report)",
}
#: public pages that show their subject by design (URL name → what): the subject's own name may
#: appear to anyone, no other enterprise's
SHOWS_SUBJECT: dict[str, str] = {
    "rating-verify": "the labelled enterprise's name, USCC and current grade (no figures)",
}

#: pages for fewer roles than may read the subject: URL name → roles (of those in scope) that get
#: 200/redirect; the others in scope may get 403/404 too
NARROWER: dict[str, set[str]] = {
    # POST-only actions: a GET answers 405 for everybody
    # the bank read log: the enterprise, its government and the admin; not banks or verifiers
    "registry:access_log": {"cement", "steel", "far", "gov", "district", "admin"},
    # the register: the enterprise's page for its staff (read-only), its government and the admin; the forms for
    # the government and the admin only (docs/registry.md)
    "registry:enterprise": {"cement", "steel", "far", "gov", "district", "admin"},
    **{
        name: {"gov", "district", "admin"}
        for name in ("registry:enterprise_edit", "registry:site_new", "registry:site_edit", "registry:invite")
    },
    # an alert about the enterprise is the government's, not the enterprise's, bank's or verifier's
    "monitoring:alert": {"gov", "district", "admin"},
    # consents (docs/finance.md): the enterprise's page for its staff, its government and the admin (read only);
    # not the banks it consented to (they have their own page); the API for the enterprise's own system
    "finance:consents": {"cement", "steel", "far", "gov", "district", "admin"},
    # (the API's GET and POST of one path are two names for one address: both are listed)
    **{
        name: {"cement", "steel", "far"}
        for name in ("api:finance_consents", "api:finance_grant", "api:finance_requests")
    },
    # a bank's consents received and requests sent: banks' staff only
    "finance:bank": {"bank", "bank2"},
    # policy matching (docs/policy.md): an enterprise's policies for its staff, its government and the admin (not
    # banks or verifiers); the API takes the enterprise's token or a signed-in session (governments hold no tokens)
    "policy:enterprise": {"cement", "steel", "far", "gov", "district", "admin"},
    "api:policy_enterprise_matches": {"cement", "steel", "far", "gov", "district", "admin"},
    "api:policy_matches": {"gov", "district", "admin"},
    # the matches overview: governments and the admin
    "policy:matches": {"gov", "district", "admin"},
    "api:finance_bank_consents": {"bank", "bank2"},
    "api:finance_bank_requests": {"bank", "bank2"},
    "api:finance_request": {"bank", "bank2"},
    # reduction plans (docs/planning.md): the enterprise's staff, its government and the admin (read only); not the
    # banks it consented to or its verifier; the API for the enterprise's own system
    **{
        name: {"cement", "steel", "far", "gov", "district", "admin"}
        for name in (
            "planning:plans",
            "planning:plan",
            "planning:plan_pdf",
            "planning:plan_edit",
            "planning:item_add",
            "planning:item_remove",
        )
    },
    **{
        name: {"cement", "steel", "far"}
        for name in (
            "api:planning_plans",
            "api:planning_plan_create",
            "api:planning_plan",
            "api:planning_item_add",
            "api:planning_item_remove",
            "api:planning_plan_projection",
        )
    },
    # the credit report (docs/finance.md): generated by banks whose consent names it, not by the enterprise, its
    # government, its verifier or the admin (they read its accounts directly)
    "finance:credit_report_new": {"bank"},
    "api:finance_credit_report_new": {"bank"},
    # carbon assets (docs/assets.md): the enterprise's page for its staff, its government and the admin; not banks
    # (they see only the pledges recorded to them) nor verifiers; the API for the enterprise's own system
    "assets:enterprise": {"cement", "steel", "far", "gov", "district", "admin"},
    **{
        name: {"cement", "steel", "far"}
        for name in (
            "api:assets_holdings",
            "api:assets_transactions",
            "api:assets_confirmations",
            "api:assets_bills",
            "api:assets_pledge",
        )
    },
    # the government's discharge rights page; a bank's pledges page and API
    "assets:region": {"gov", "district", "admin"},
    "assets:bank": {"bank", "bank2"},
    # trading (docs/assets.md § Trading): the market page for enterprise staff and governments (not banks or
    # verifiers); the API's market and an enterprise's listings for the enterprise's own system
    "assets:market": {"cement", "steel", "far", "gov", "district", "admin"},
    **{name: {"cement", "steel", "far"} for name in ("api:assets_market", "api:assets_listings", "api:assets_list")},
    # ETS allowances and surrender: the API for the enterprise's own system
    **{name: {"cement", "steel", "far"} for name in ("api:assets_ets", "api:assets_surrender")},
    "api:assets_bank_pledges": {"bank", "bank2"},
    # the compliance link and the one-claim register (docs/assets.md § Compliance): the enterprise's own system (a
    # bank's token is refused: banks see only the pledges recorded to them); the lookup answers in the token's scope
    **{
        name: {"cement", "steel", "far"}
        for name in ("api:assets_compliance", "api:assets_claims", "api:assets_claim_lookup")
    },
    # bank products, applications and loans (docs/finance.md): a bank's pages and API for its own staff; an
    # application and a loan of cement are the bank's (not cement's government, verifier or the admin: government
    # sees aggregates only); cement's side of them is on its own pages
    **{
        name: {"bank", "bank2"}
        for name in (
            "finance:bank_products",
            "finance:bank_applications",
            "finance:bank_needs",
            "api:finance_bank_products",
            "api:finance_product_new",
            "api:finance_bank_applications",
            "api:finance_bank_loans",
            "api:finance_bank_needs",
        )
    },
    **{
        name: {"bank"}
        for name in (
            "finance:bank_product",
            "finance:bank_application",
            "finance:bank_loan",
            "api:finance_product_version",
            "api:finance_bank_application",
            "api:finance_decision",
            "api:finance_bank_loan",
            "api:finance_drawdown",
            "api:finance_repayment",
        )
    },
    **{
        name: {"cement", "steel", "far"}
        for name in (
            "finance:offers",
            "finance:loans",
            "finance:application_withdraw",
            "api:finance_offers",
            "api:finance_applications",
            "api:finance_apply",
            "api:finance_application_withdraw",
            "api:finance_loans",
        )
    },
    # financing needs: the enterprise's staff, its government (which may post on its behalf) and the admin (read)
    **{
        name: {"cement", "steel", "far", "gov", "district", "admin"}
        for name in ("finance:needs", "api:finance_needs", "api:finance_need_new")
    },
    # the jurisdiction's needs, pushes and loan statistics: government staff and the admin
    **{
        name: {"gov", "district", "admin"}
        for name in (
            "finance:region_needs",
            "finance:statistics",
            "api:finance_region_needs",
            "api:finance_pushes",
            "api:finance_push_new",
            "api:finance_statistics",
        )
    },
    # a group's carbon inventory (docs/programme.md § Group inventory): the group's own staff, the government of its
    # region and the admin; not banks or verifiers
    **{
        name: {"cement", "steel", "far", "gov", "district", "admin"}
        for name in (
            "programme:group_inventory",
            "programme:inventory",
            "programme:inventory_xlsx",
            "api:programme_group_inventories",
            "api:programme_inventory_create",
            "api:programme_inventory",
        )
    },
    # transition certification (docs/finance.md § Transition certification): the enterprise's pages and API for its
    # own staff; the verifier's queue and review for the verification body the application names; the rulers, the
    # decisions, the libraries and pushes for government staff and the admin (read); the pushed libraries for banks
    **{
        name: {"cement", "steel", "far"}
        for name in (
            "finance:cert_enterprise",
            "finance:cert_application",
            "api:finance_cert_applications",
            "api:finance_cert_apply",
        )
    },
    **{name: {"verifier"} for name in ("finance:cert_reviews", "finance:cert_review", "api:finance_cert_reviews")},
    **{
        name: {"gov", "district", "admin"}
        for name in (
            "finance:cert_rulers",
            "finance:cert_region",
            "finance:cert_decide",
            "api:finance_cert_rulers",
            "api:finance_cert_ruler_new",
            "api:finance_cert_region",
            "api:finance_cert_library",
            "api:finance_cert_pushes",
            "api:finance_cert_push_new",
        )
    },
    **{name: {"bank", "bank2"} for name in ("finance:cert_bank", "api:finance_cert_bank_library")},
    # a group's inventory report (PDF), snapshots and ESG disclosure: read like the inventory (docs/programme.md)
    **{
        name: {"cement", "steel", "far", "gov", "district", "admin"}
        for name in (
            "programme:inventory_pdf",
            "programme:inventory_snapshots",
            "programme:inventory_esg",
            "programme:inventory_esg_xlsx",
            "programme:inventory_esg_json",
            "api:programme_inventory_snapshots",
            "api:programme_inventory_snapshot_take",
            "api:programme_inventory_esg",
            "api:programme_inventory_esg_enter",
        )
    },
    # a task's evidence file: the matrix's tasks have none, so every role answers 404 (out of scope exactly like
    # missing); who downloads an existing one is proven by tests/programme/test_structure.py
    "programme:evidence": set(),
    # leasing, reserve and revenue (docs/assets.md): an enterprise's leases through the API for its own system; the
    # reserve and the revenue pages, Excel and API for governments and the admin (not enterprises or banks)
    **{
        name: {"cement", "steel", "far"}
        for name in ("api:assets_leases", "api:assets_lease_offer", "api:assets_lease_act")
    },
    **{
        name: {"gov", "district", "admin"}
        for name in (
            "assets:reserve",
            "assets:revenue",
            "assets:revenue_xlsx",
            "api:assets_reserve",
            "api:assets_revenue",
        )
    },
    # KPI-linked loans (docs/finance.md § KPI-linked loans): a loan's KPIs, scores and CERF project are the lending
    # bank's (not cement's government, verifier or the admin: government sees aggregates only); cement reads its own
    # loan's KPIs; the bank's alerts, CERF and PCAF pages are each bank's own
    **{
        name: {"bank"}
        for name in (
            "finance:bank_loan_kpis",
            "finance:kpi_score",
            "finance:loan_project",
            "api:finance_loan_kpis",
            "api:finance_kpi_new",
            "api:finance_kpi_score",
            "api:finance_loan_project",
        )
    },
    **{name: {"cement", "steel", "far"} for name in ("finance:loan_kpis", "api:finance_enterprise_loan_kpis")},
    # the disclosure of a library entry (template v1): the enterprise's own staff
    **{name: {"cement", "steel", "far"} for name in ("finance:cert_disclosure", "api:finance_cert_disclosure")},
    **{
        name: {"bank", "bank2"}
        for name in (
            "finance:bank_alerts",
            "finance:cerf",
            "finance:pcaf",
            "api:finance_bank_alerts",
            "api:finance_bank_alert_read",
            "api:finance_cerf",
            "api:finance_pcaf",
            "api:finance_pcaf_financials",
        )
    },
}
#: the city's dual-carbon programme (docs/programme.md): who reads a programme's pages (its city's and counties'
#: governments, the admin; enterprises, banks and verifiers nothing), by the region subject's code; its entries and
#: tasks are read like their locality (REGION_READERS: ``gov`` leads the city's leading group, ``district`` is the
#: locality's staff); the Hangzhou programme's: the admin only. A dual-carbon index run (prog_index) is read like its
#: programme
PROGRAMME_KINDS = ("prog", "prog_entry", "prog_task", "prog_index")
PROGRAMME_READERS = {
    "339900": {"gov", "district", "admin"},
    "339901": {"gov", "district", "admin"},
    "330102": {"admin"},
}

#: who may write through an object endpoint (of the roles in the subject's scope); "owner" is the
#: subject's own staff. Endpoints not listed: every role in scope may write.
WRITERS: dict[str, set[str]] = {
    "reporting:evidence": {"owner"},
    "reporting:verify": {"verifier"},
    "reporting:return": {"verifier"},
    "reporting:reject": {"verifier"},
    # the government's bulk lock (the 数据报送 list): the region's government and the admin
    "reporting:bulk_lock": {"gov", "district", "admin"},
    "reporting:lock": {"gov", "district", "admin"},
    "rating:appeal": {"owner"},
    # only the enterprise's own staff grant, narrow, extend, revoke and answer banks' requests (docs/finance.md)
    **{
        name: {"owner"}
        for name in (
            "finance:consents",
            "finance:consent_change",
            "finance:consent_revoke",
            "finance:request_accept",
            "finance:request_decline",
            "api:finance_consents",
            "api:finance_grant",
            "api:finance_change",
            "api:finance_revoke",
            "api:finance_accept",
            "api:finance_decline",
        )
    },
    "rating:appeal_finish": {"owner"},
    # only the enterprise's own staff make and change its reduction plans (docs/planning.md)
    **{
        name: {"owner"}
        for name in (
            "planning:plans",
            "planning:plan_edit",
            "planning:item_add",
            "planning:item_remove",
            "api:planning_plan_create",
            "api:planning_item_add",
            "api:planning_item_remove",
        )
    },
    # discharge rights: the government of the enterprise's region confirms, bills and records payments (not the
    # admin: it is no authority); the enterprise pledges its own assets; the pledgee bank (or the holder's
    # government) releases a pledge
    **{name: {"gov", "district"} for name in ("assets:confirm", "assets:bill", "assets:payment")},
    **{name: {"owner"} for name in ("assets:pledge", "api:assets_pledge")},
    **{name: {"bank", "gov", "district"} for name in ("assets:release", "api:assets_release")},
    # trading: the enterprise lists its own assets; an enterprise of the seller's city bids (the seller's own bid is
    # refused: "owner" is not a bidder here but cannot be told apart from one); the seller cancels; the seller or
    # its government settles; the government decides; the named buyer accepts (the matrix's listings are bidding
    # rounds: nobody may accept them)
    **{name: {"owner"} for name in ("assets:list", "api:assets_list", "assets:cancel", "api:assets_cancel")},
    **{name: {"cement", "steel"} for name in ("assets:bid", "api:assets_bid")},
    **{name: {"owner", "gov", "district"} for name in ("assets:settle", "api:assets_settle")},
    "assets:decide": {"gov", "district"},
    **{name: set() for name in ("assets:accept", "api:assets_accept")},
    # ETS: the government allocates and enters the verified emissions; the enterprise surrenders
    **{name: {"gov", "district"} for name in ("assets:allocate", "assets:obligation")},
    **{name: {"owner"} for name in ("assets:surrender", "api:assets_surrender")},
    "monitoring:alerts": {"gov", "district", "admin"},  # acknowledge/resolve, within the jurisdiction
    # loans (docs/finance.md): the bank decides, records drawdowns and repayments and versions its products; the
    # enterprise applies and withdraws; a need is posted by the enterprise or its government; government pushes
    **{
        name: {"bank"}
        for name in (
            "finance:bank_product",
            "finance:bank_application",
            "finance:bank_loan",
            "api:finance_product_version",
            "api:finance_decision",
            "api:finance_drawdown",
            "api:finance_repayment",
        )
    },
    **{
        name: {"owner"}
        for name in (
            "finance:offers",
            "api:finance_apply",
            "finance:application_withdraw",
            "api:finance_application_withdraw",
        )
    },
    **{name: {"owner", "gov", "district"} for name in ("finance:needs", "api:finance_need_new")},
    **{name: {"gov", "district"} for name in ("finance:region_needs", "api:finance_push_new")},
    # transition certification: the enterprise applies and amends; the named verifier reviews; the government of
    # the enterprise's region certifies, rejects, flags, revokes and pushes (not the admin: it is no authority)
    **{
        name: {"owner"}
        for name in (
            "finance:cert_enterprise",
            "finance:cert_application",
            "api:finance_cert_apply",
            "api:finance_cert_resubmit",
        )
    },
    **{name: {"verifier"} for name in ("finance:cert_review", "api:finance_cert_review")},
    **{
        name: {"gov", "district"}
        for name in (
            "finance:cert_decide",
            "finance:cert_region",
            "api:finance_cert_decision",
            "api:finance_cert_push_new",
        )
    },
    # "match again" (policy): the jurisdiction's government and the admin rerun the matching of its enterprises
    "policy:matches": {"gov", "district", "admin"},
    "monitoring:alert": {"gov", "district", "admin"},  # assign/acknowledge/resolve, within the jurisdiction
    "monitoring:notifications": {"gov", "district", "admin"},  # marks one's own notifications read
    # loading a region's meter data (reporting/meter_data.py): its government and the admin
    "reporting:meters": {"gov", "district", "admin"},
    "api:reporting_meter_load": {"gov", "district", "admin"},
    # the programme: entries are changed, statistics uploaded and the dispatch check run by the coordinating groups
    # (gov leads the leading group) and the admin, not by the locality's staff; progress by the locality too
    **{
        name: {"gov", "admin"}
        for name in (
            "programme:board",
            "programme:entry",
            "programme:statistics",
            "api:programme_list",
            "api:programme_entry_create",
            "api:programme_entry",
            "api:programme_entry_update",
            "api:programme_entry_retire",
            "api:programme_dispatch_check",
            "programme:index_runs",
            "api:programme_index_runs",
            "api:programme_index_compute",
        )
    },
    # a group's inventory is kept (year, approach) by the group's own staff and the admin, not its government
    **{
        name: {"owner", "admin"}
        for name in (
            "programme:group_inventory",
            "api:programme_group_inventories",
            "api:programme_inventory_create",
        )
    },
    # the register: the enterprise's government and the admin (its staff read their page only)
    **{
        name: {"gov", "district", "admin"}
        for name in (
            "registry:enterprise_edit",
            "registry:enterprise_active",
            "registry:site_new",
            "registry:site_edit",
            "registry:site_delete",
            "registry:invite",
            "registry:membership_active",
            "registry:membership_link",
        )
    },
    # the programme's structure (groups, measures, tasks) from its pages: the coordinating groups and the admin; an
    # inventory's snapshots and ESG entries: the group's own staff and the admin (docs/programme.md)
    **{name: {"gov", "admin"} for name in ("programme:groups", "programme:measures", "programme:task_form")},
    **{
        name: {"owner", "admin"}
        for name in (
            "programme:inventory_snapshots",
            "programme:inventory_esg",
            "api:programme_inventory_snapshots",
            "api:programme_inventory_snapshot_take",
            "api:programme_inventory_esg",
            "api:programme_inventory_esg_enter",
        )
    },
    # leasing, reserve and revenue (docs/assets.md): the enterprise offers its own leases; a party acts on one (the
    # matrix's action: withdraw or decline, either party); the enterprise answers a buy-back offer; the government of
    # the enterprise's region offers buy-backs and allocates from its reserve
    **{
        name: {"owner"}
        for name in ("assets:lease", "api:assets_lease_offer", "assets:lease_act", "api:assets_lease_act")
    },
    "assets:buy_back_decide": {"owner"},
    **{name: {"gov", "district"} for name in ("assets:buy_back", "assets:reserve_allocate")},
    # the bank's alerts (marked read) and PCAF inputs (a borrower's equity and debt): its own staff, for its borrowers
    **{
        name: {"bank"}
        for name in (
            "finance:bank_alerts",
            "api:finance_bank_alert_read",
            "finance:pcaf",
            "api:finance_pcaf_financials",
        )
    },
}

#: bodies for write endpoints, so the request reaches the permission check and would change
#: something if that check were missing; "{org}", "{submission}", "{year}", "{month}" … are
#: replaced by the subject's values. Files: "@pdf".
PAYLOADS: dict[str, dict[str, Any]] = {
    "reporting:evidence": {"kind": "invoice", "file": "@pdf"},
    "reporting:correct": {"org": "{org}", "reason": "矩阵测试：越权更正"},
    "reporting:upload": {"org": "{org}", "file": "@xlsx"},
    "reporting:edit": {"org": "{org}"},
    "reporting:return": {"comment": "矩阵测试：越权退回"},
    "reporting:reject": {"comment": "矩阵测试：越权驳回"},
    "reporting:bulk_lock": {"submission": "{submission}"},
    "api:corrections": {"reason": "矩阵测试：越权更正"},
    "monitoring:alerts": {"alert": "{alert}", "action": "acknowledge"},
    "monitoring:alert": {"action": "acknowledge"},
    "monitoring:notifications": {"all": "1"},
    "registry:enterprise_edit": {
        "name": "矩阵测试：越权修改",
        "uscc": "{uscc}",
        "region": "{region}",
        "industry": "30",
    },
    "registry:enterprise_active": {"active": "0"},
    "registry:site_new": {"name": "矩阵测试：越权厂区", "region": "{region}"},
    "registry:site_edit": {"name": "矩阵测试：越权修改", "region": "{region}"},
    "registry:invite": {"username": "matrix-intruder", "name": "越权", "role": "enterprise_staff"},
    "registry:membership_active": {"active": "0"},
    "planning:plans": {"name": "矩阵测试：越权规划", "base_year": "2024", "until_year": "2030"},
    "planning:plan_edit": {"name": "矩阵测试：越权修改", "base_year": "2024", "until_year": "2031"},
    "planning:item_add": {"measure": "{measure}", "quantity": "3", "start_year": "2025"},
    "api:planning_plan_create": {"name": "矩阵测试：越权规划", "base_year": 2024, "until_year": 2030},
    "api:planning_item_add": {"measure_id": "{measure}", "quantity": "3", "start_year": 2025},
    "planning:pathways": {"region": "{region}", "name": "矩阵测试：越权情景", "kind": "policy", "base_year": "2024"},
    "planning:scenario_edit": {
        "name": "矩阵测试：越权修改",
        "kind": "policy",
        "base_year": "2024",
        "until_year": "2035",
    },
    "planning:scenario_assumption": {"sector": "30", "growth": "0.5", "efficiency": "0", "grid_decline": "0"},
    "api:planning_scenario_create": {
        "region": "{region}",
        "name": "矩阵测试：越权情景",
        "kind": "policy",
        "base_year": 2024,
    },
    "api:planning_scenario_update": {"name": "矩阵测试：越权修改", "assumptions": [{"sector": "30", "growth": "0.5"}]},
    # the what-if sandbox (policy): a new draft, a change of its thresholds, a run, an adoption
    "policy:sandbox": {"kind": "scheme", "region": "{region}", "title": "矩阵测试：越权草案"},
    "policy:sandbox_draft": {
        **{f"grade_bounds_{i}": v for i, v in enumerate(("0.2", "0.4", "1.1", "1.9"))},
        **{"level_bounds_0": "0.6", "level_bounds_1": "2"},
    },
    "policy:sandbox_run": {"year": "2024"},
    "policy:sandbox_adopt": {"valid_from": "2024-01-01"},
    "api:policy_sandbox_drafts": {"kind": "scheme", "region": "{region}", "title": "矩阵测试：越权草案"},
    "api:policy_sandbox_draft_create": {"kind": "scheme", "region": "{region}", "title": "矩阵测试：越权草案"},
    "api:policy_sandbox_draft": {"changes": {"grade_bounds": [0.2, 0.4, 1.1, 1.9]}},
    "api:policy_sandbox_draft_update": {"changes": {"grade_bounds": [0.2, 0.4, 1.1, 1.9]}},
    "api:policy_sandbox_run": {"year": 2024},
    "api:policy_sandbox_adopt": {"valid_from": "2024-01-01"},
    **{
        name: {
            "bank": "{bank}",
            "uscc": "{uscc}",
            "purpose_code": "disclosure",
            "scope": "accounts",
            "data_from": "2023-01",
            "data_until": "2025-12",
            "valid_until": "2099-12-31",
        }
        for name in ("finance:consents", "finance:consent_change", "finance:request_new")
    },
    "finance:request_decline": {"reason": "矩阵测试：越权拒绝"},
    **{
        name: {
            "bank_id": "{bank}",
            "uscc": "{uscc}",
            "purpose_code": "disclosure",
            "scope": ["accounts"],
            "data_from": "2023-01",
            "data_until": "2025-12",
            "valid_until": "2099-12-31",
        }
        for name in (
            "api:finance_consents",
            "api:finance_grant",
            "api:finance_change",
            "api:finance_request",
            "api:finance_bank_requests",
        )
    },
    "api:finance_decline": {"reason": "矩阵测试：越权拒绝"},
    # loans (docs/finance.md): bodies that would write if the permission check were missing
    **{
        name: {
            "code": "MATRIX",
            "name_zh": "矩阵测试产品",
            "purpose_tag": "green",
            "valid_from": "2025-01-01",
            "rule": '{{"fact": "grade", "op": "<=", "value": 5}}',  # str.format'ed: braces doubled
            "min_amount": "1000",
            "max_amount": "100000",
            "min_term": "1",
            "max_term": "12",
            "base_rate_bp": "400",
            "grade_spreads": "1:0, 2:0, 3:0, 4:0, 5:0",
        }
        for name in ("finance:bank_products", "finance:bank_product")
    },
    **{
        name: {
            "code": "MATRIX-API",
            "name_zh": "矩阵测试产品",
            "purpose_tag": "green",
            "valid_from": "2026-01-01",
            "rule": {"fact": "grade", "op": "<=", "value": 5},
            "min_amount": "1000",
            "max_amount": "100000",
            "min_term": 1,
            "max_term": 12,
            "base_rate_bp": 400,
            "grade_spreads": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        }
        for name in ("api:finance_product_new", "api:finance_product_version")
    },
    "finance:bank_application": {"decision": "decline", "reason": "矩阵测试：越权审批"},
    "api:finance_decision": {"approve": False, "reason": "矩阵测试：越权审批"},
    "finance:bank_loan": {"kind": "drawdown", "amount": "1000"},
    **{
        name: {
            "metric": "external",
            "name": "矩阵测试：越权指标",
            "unit": "分",
            "source": "矩阵测试",
            "targets": "2025: 80 分",
            "step_met_bp": "0",
            "step_missed_bp": "10",
        }
        for name in ("finance:bank_loan_kpis",)
    },
    "api:finance_kpi_new": {
        "metric": "external",
        "name": "矩阵测试：越权指标",
        "unit": "分",
        "source": "矩阵测试",
        "targets": [{"year": 2025, "value": "80", "unit": "分"}],
        "step_met_bp": 0,
        "step_missed_bp": 10,
    },
    **{
        name: {"kpi": "1", "kpi_id": "1", "year": "2025", "value": "70", "evidence_note": "矩阵", "evidence": "@pdf"}
        for name in ("finance:kpi_score",)
    },
    **{
        name: {"project": "{cert_application}", "project_id": "{cert_application}", "project_financing": "5000000",
               "source": "矩阵测试：越权关联"}
        for name in ("finance:loan_project", "api:finance_loan_project")
    },
    **{
        name: {"enterprise": "{org}", "enterprise_id": "{org}", "as_of": "2024-12-31", "equity": "100",
               "debt": "100", "source": "矩阵测试：越权录入"}
        for name in ("finance:pcaf", "api:finance_pcaf_financials")
    },
    **{name: {"alert": "1", "alert_id": 1} for name in ("finance:bank_alerts", "api:finance_bank_alert_read")},
    **{name: {"amount": "1000"} for name in ("api:finance_drawdown", "api:finance_repayment")},
    "finance:offers": {"product": "{product}", "amount": "200000", "term_months": "12", "purpose": "矩阵测试"},
    "api:finance_apply": {"product_id": "{product}", "amount": "200000", "term_months": 12, "purpose": "矩阵测试"},
    **{
        name: {"amount": "1000000", "purpose_tag": "green", "purpose": "矩阵测试：越权需求", "term_months": "12"}
        for name in ("finance:needs", "api:finance_need_new")
    },
    "finance:region_needs": {"title": "矩阵测试：越权推送", "region": "{region}", "need": "{need}", "bank": "{bank}"},
    "api:finance_push_new": {"title": "矩阵测试：越权推送", "region": "{region}", "need_ids": [], "bank_ids": []},
    # transition certification: bodies that would write if the permission check were missing
    "finance:cert_enterprise": {
        "kind": "project",
        "industry_code": "{cert_sector}",
        "name": "矩阵测试：越权申请",
        "verifier": "{cert_verifier}",
        "baseline_year": "2024",
        "declared_value": "1",
        "expected_savings_tce": "0",
        "expected_reduction_tco2": "1",
        "investment": "1000",
        "evidence": "矩阵测试",
    },
    "api:finance_cert_apply": {
        "kind": "project",
        "industry_code": "{cert_sector}",
        "name": "矩阵测试：越权申请",
        "verifier_id": "{cert_verifier}",
        "baseline_year": 2024,
        "declared_value": "1",
        "expected_savings_tce": "0",
        "expected_reduction_tco2": "1",
        "investment": "1000",
        "evidence": "矩阵测试",
    },
    "finance:cert_application": {"evidence": "矩阵测试：越权修改"},
    "api:finance_cert_resubmit": {"evidence": "矩阵测试：越权修改"},
    "finance:cert_review": {
        "decision": "return",
        "comment": "矩阵测试：越权退回",
        **{f"ok_{p}": "1" for p in ("no_lock_in", "dnsh", "just_transition")},
    },
    "api:finance_cert_review": {
        "approve": False,
        "comment": "矩阵测试：越权退回",
        "checks": {p: {"ok": True} for p in ("no_lock_in", "dnsh", "just_transition")},
    },
    "finance:cert_decide": {"action": "flag", "reason": "矩阵测试：越权标记"},
    "api:finance_cert_decision": {"action": "flag", "reason": "矩阵测试：越权标记"},
    "finance:cert_rulers": {
        "region": "{region}",
        "industry_code": "30",
        "sector_name": "矩阵测试",
        "kind": "enterprise",
        "metric": "energy_per_product",
        "unit": "kgce/t",
        "entry_value": "100",
        "advanced_value": "90",
        "min_reduction_pct": "0",
        "principles": "no_lock_in",
        "valid_from": "2030-01-01",
        "source": "矩阵测试",
    },
    **{
        name: {
            "region": "{region}",
            "industry_code": "30",
            "sector_name": "矩阵测试",
            "kind": "enterprise",
            "metric": "energy_per_product",
            "unit": "kgce/t",
            "entry_value": "100",
            "advanced_value": "90",
            "min_reduction_pct": "0",
            "principles": ["no_lock_in"],
            "valid_from": "2030-01-01",
            "source": "矩阵测试",
        }
        for name in ("api:finance_cert_rulers", "api:finance_cert_ruler_new")
    },
    "finance:cert_region": {
        "title": "矩阵测试：越权推送",
        "kind": "project",
        "region": "{region}",
        "entry": "{cert_application}",
        "bank": "{bank}",
    },
    **{
        name: {"title": "矩阵测试：越权推送", "kind": "project", "region": "{region}", "entry_ids": [], "bank_ids": []}
        for name in ("api:finance_cert_pushes", "api:finance_cert_push_new")
    },
    "assets:confirm": {
        "factor": "{factor}",
        "tonnes": "5.5",
        "basis": "permit",
        "basis_reference": "矩阵测试-许可证",
        "confirmed_on": "2025-03-01",
    },
    "assets:bill": {
        "confirmation": "{asset_confirmation}",
        "years": "1",
        "issued_on": "2024-06-01",
        "due_date": "2024-12-31",
    },
    "assets:payment": {"bill": "{asset_bill}", "amount": "1.00", "paid_on": "2024-07-01", "reference": "矩阵测试-缴款"},
    "assets:pledge": {
        "asset": "{asset}",
        "vintage": "2024",
        "quantity": "1",
        "bank": "{bank}",
        "loan_reference": "矩阵测试-质押",
    },
    "assets:list": {
        "asset": "{asset}",
        "vintage": "2024",
        "quantity": "1",
        "mode": "auction",
        "reserve_price": "1000",
        "opens_at": "{listing_opens}",
        "closes_at": "{listing_closes}",
    },
    "api:assets_list": {
        "asset": "DR-COD",
        "vintage": 2024,
        "quantity": 1000,
        "mode": "auction",
        "reserve_price": "1000",
        "opens_at": "{listing_opens}",
        "closes_at": "{listing_closes}",
    },
    "assets:bid": {"quantity": "1", "price": "99999"},
    "api:assets_bid": {"quantity": 1000, "price": "99999"},
    "assets:decide": {"decision": "reject", "note": "矩阵测试：越权审核"},
    "assets:allocate": {
        "year": "2025",
        "kind": "pre",
        "quantity": "100",
        "reference": "矩阵测试-配额",
        "allocated_on": "2025-03-01",
    },
    "assets:obligation": {"year": "2025", "verified_tco2": "100", "source": "矩阵测试-核查", "deadline": "2026-12-31"},
    "assets:surrender": {"obligation": "{asset_obligation}", "allowances": "1", "allowance_vintage": "2024"},
    "api:assets_surrender": {"allowances": 1, "allowance_vintage": 2024},
    "programme:entry": {"expected_tco2": "1", "reason": "矩阵测试：越权修改"},
    "programme:task": {"progress": "50", "text": "矩阵测试：越权报告"},
    "programme:group_inventory": {"year": "2023", "approach": "operational_control"},
    **{
        name: {"year": 2023, "approach": "operational_control"}
        for name in ("api:programme_group_inventories", "api:programme_inventory_create")
    },
    "programme:index_runs": {"year": "2024", "method": "ccni-structure", "file": "@xlsx"},
    **{
        name: {
            "fields": {
                "code": "MX-1",
                "name_zh": "矩阵测试：越权新增",
                "group": "leading",
                "locality": "{region}",
                "owner_name": "矩阵业主",
                "sector": "energy",
            },
            "reason": "矩阵测试：越权新增",
        }
        for name in ("api:programme_list", "api:programme_entry_create")
    },
    **{
        name: {"fields": {"expected_tco2": "1"}, "reason": "矩阵测试：越权修改"}
        for name in ("api:programme_entry", "api:programme_entry_update")
    },
    "api:programme_entry_retire": {"reason": "矩阵测试：越权移出"},
    "api:programme_progress": {"progress": 50, "text": "矩阵测试：越权报告"},
    "api:assets_pledge": {
        "asset": "DR-COD",
        "vintage": 2024,
        "quantity": 1000,
        "bank_id": "{bank}",
        "loan_reference": "矩阵测试-质押",
    },
    # the programme's structure from its pages, an inventory's snapshot and ESG entries (esg15)
    "programme:groups": {"code": "mx-g", "kind": "special", "name_zh": "矩阵小组", "lead_department": "矩阵部门"},
    "programme:measures": {"code": "MX-M", "name_zh": "矩阵举措"},
    "programme:task_form": {
        "code": "MX-T",
        "title_zh": "矩阵任务",
        "group": "leading",
        "locality": "{region}",
        "year": "2024",
        "start_date": "2024-01-01",
        "due_date": "2024-06-30",
    },
    "programme:inventory_snapshots": {"note": "矩阵测试：越权冻结"},
    "programme:inventory_esg": {"g_board_size": "7"},
    **{
        name: {"note": "矩阵测试：越权冻结"}
        for name in ("api:programme_inventory_snapshots", "api:programme_inventory_snapshot_take")
    },
    **{
        name: {"values": {"g_board_size": "7"}}
        for name in ("api:programme_inventory_esg", "api:programme_inventory_esg_enter")
    },
    # leasing (docs/assets.md § Leasing): cement's lease offered to steel, withdrawn or declined by a party
    "assets:lease_act": {"lease": "{asset_lease}", "action": "cancel"},
    "api:assets_lease_act": {"lease_id": "{asset_lease}", "action": "cancel"},
}

#: routes through which a role asks something of any enterprise, also one it may not read yet (a bank's consent
#: request, docs/finance.md): URL name → those roles. Their write may add a row to any subject's tables; every other
#: role must change nothing, and every answer is still searched for enterprises out of the role's scope
#: routes on a consent request that belong to the bank that sent it (withdraw), not to the enterprise
BANK_REQUEST_ROUTES = {"finance:request_withdraw", "api:finance_withdraw"}
ASKERS: dict[str, set[str]] = {
    name: {"bank", "bank2"} for name in ("finance:request_new", "api:finance_request", "api:finance_bank_requests")
}

# --------------------------------------------------------------------------------------------------
# roles and scopes

ROLES = ["anon", "cement", "steel", "far", "gov", "district", "bank", "bank2", "verifier", "admin"]
ENTERPRISE_STAFF = {"cement", "steel", "far"}
#: enterprises each role may read (bank: cement, consented months 2024-01..06, accounts only)
READS: dict[str, set[str]] = {
    "anon": set(),
    "cement": {"cement"},
    "steel": {"steel"},
    "far": {"far"},
    "gov": {"cement", "steel"},
    "district": {"cement"},
    "bank": {"cement"},
    "bank2": set(),
    "verifier": {"cement"},
    "admin": {"cement", "steel", "far"},
}
#: API routers that take a bank's token too (reads under the bank's consent: docs/registry.md § Bank tokens), and the
#: roles that hold one (the bank with cement's consent, the bank without any)
BANK_TOKEN_ROUTERS = ("api/accounts/", "api/finance/", "api/assets/")
BANK_TOKEN_ROLES = {"bank", "bank2"}
#: roles that read a region's pages, by region code
REGION_READERS = {"339900": {"gov", "admin"}, "339901": {"gov", "district", "admin"}, "330102": {"admin"}}
CONSENTED_MONTH, UNCONSENTED_MONTH = 3, 9
#: the listing id of a subject without one (far): a valid id no row has (the API refuses 0 as malformed, 422)
NO_LISTING = 999_999_999
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --------------------------------------------------------------------------------------------------
# URL patterns and their parameters

#: parameter name → the kind of value it takes
PARAM_KINDS: dict[str, str] = {
    **dict.fromkeys(("org_id", "organisation_id", "organization_id", "enterprise_id", "ent_id", "org"), "org"),
    "enterprise": "org",
    "uscc": "uscc",
    **dict.fromkeys(("submission_id", "sub_id", "submission", "version_id"), "submission"),
    **dict.fromkeys(("entry_id", "account_entry_id"), "entry"),
    "run_id": "run",
    "line_id": "line",
    "evidence_id": "evidence",
    "consent_id": "consent",
    "token_id": "token",
    "token": "label",  # the opaque token of a rating QR label
    **dict.fromkeys(("region", "region_code", "district"), "region"),
    "year": "year",
    "month": "month",
    "period": "period",
    "alert_id": "alert",
    "job_id": "import_job",  # a background Excel import (reporting:import_job)
    "site_id": "site",  # a site (厂区) of the subject enterprise
    "membership_id": "membership",  # the subject enterprise's staff member's membership
    "request_id": "consent_request",  # a bank's consent request to the subject enterprise (finance)
    "plan_id": "plan",  # a reduction plan of the subject enterprise (planning)
    "item_id": "plan_item",  # a measure in that plan (planning)
    "scenario_id": "scenario",  # a pathway scenario of a region (planning): read like the region
    "number": "credit_report",  # a credit report of the subject enterprise, generated by the bank (finance)
    # a policy package and one of its policies (policy): published documents of the city 示范市, no enterprise's data
    "package_id": "package",
    "policy_id": "policy",
    "pledge_id": "pledge",  # a pledge of the subject enterprise's assets to the bank (assets)
    "listing_id": "listing",  # the subject enterprise's listing, a bidding round open to its city (assets)
    # a what-if sandbox draft of a region and one of its runs (policy): read like the region, by its government
    "sandbox_id": "sandbox",
    "sandbox_run_id": "sandbox_run",
    "product_id": "product",  # the bank's loan product cement applied for (finance)
    "application_id": "loan_application",  # cement's application to that product (finance)
    "loan_id": "loan",  # the loan booked from it (finance)
    "cert_id": "cert_application",  # the subject's transition certification application / library entry (finance)
    # the programme (docs/programme.md): a programme, one of its five lists (by its code), an entry, a task
    "programme_id": "prog",
    "kind": "prog_list",
    "record_id": "prog_entry",
    "task_id": "prog_task",
    "index_run_id": "prog_index",  # a dual-carbon index run of the programme
    "inventory_id": "inventory",  # the subject enterprise's group carbon inventory (programme)
}
#: for ``pk``/``id``: the word before the parameter in the route (or in the URL name) → kind
PK_WORDS = (
    ("submission", "submission"),
    ("version", "submission"),
    ("draft", "submission"),
    ("evidence", "evidence"),
    ("entry", "entry"),
    ("lineage", "entry"),
    ("consent", "consent"),
    ("token", "token"),
    ("line", "line"),
    ("run", "run"),
    ("region", "region"),
    ("enterprise", "org"),
    ("organisation", "org"),
    ("org", "org"),
)
OBJECT_KINDS = {
    *("org", "uscc", "submission", "entry", "run", "line", "evidence", "consent", "token", "region", "label"),
    "alert",  # a monitoring alert about the subject enterprise
    "import_job",  # a background Excel import of the subject enterprise (raw data: not for banks)
    "site",  # a site of the subject enterprise (registry)
    "membership",  # a membership of the subject enterprise's staff (registry)
    "consent_request",  # a bank's consent request to the subject enterprise (finance)
    "plan",  # a reduction plan of the subject enterprise (planning)
    "plan_item",  # a measure in the subject enterprise's plan (planning)
    "scenario",  # a region's pathway scenario (planning): subjects are the regions of REGION_READERS
    "credit_report",  # a credit report of the subject enterprise, generated by the bank (finance)
    "pledge",  # a pledge of the subject enterprise's assets, recorded to the bank (assets)
    "listing",  # the subject enterprise's listing: an open bidding round of its city (assets)
    "sandbox",  # a region's sandbox draft (policy): subjects are the regions of REGION_READERS
    "sandbox_run",  # a run of that draft (policy)
    "product",  # the bank's product the subject applied for (finance)
    "loan_application",  # the subject's loan application to the bank (finance)
    "loan",  # the subject's loan from the bank (finance)
    "cert_application",  # the subject's certification application (cement's: certified, pushed to the bank)
    *PROGRAMME_KINDS,  # a programme, an entry of its lists, a task: subjects are the regions of PROGRAMME_READERS
    "inventory",  # the subject enterprise's carbon inventory as a group (programme)
}
RAW_KINDS = {"submission", "evidence", "run", "line", "import_job"}  # raw reported data: not for banks
PERIOD_KINDS = {"month", "period", "entry", *RAW_KINDS}

_CONV = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # full route with converters, e.g. "report/submission/<int:pk>/"
    name: str  # "namespace:name" ("" when unnamed)
    view: str  # the view's dotted path
    params: tuple[tuple[str, Any], ...]  # (name, converter)
    is_api: bool
    methods: frozenset[str] | None  # ninja operations' methods; None for Django views (unknown)
    session_auth: bool  # the API operation accepts a logged-in session (else tokens only)

    @property
    def id(self) -> str:
        return self.name or self.route

    def kinds(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for p, _conv in self.params:
            kind = PARAM_KINDS.get(p)
            if kind is None and p in ("pk", "id", "object_id"):
                before = self.route.split(f":{p}>")[0].rsplit("<", 1)[0].strip("/").rsplit("/", 1)[-1].lower()
                kind = next((k for w, k in PK_WORDS if w in before), None)
                kind = kind or next((k for w, k in PK_WORDS if w in self.name.lower()), None)
            out[p] = kind
        return out

    def fillable(self) -> bool:
        return all(self.kinds().values())

    def object_kinds(self) -> set[str]:
        return {k for k in self.kinds().values() if k in OBJECT_KINDS}

    def explicit(self) -> str | None:
        if self.view in EXPLICIT_VIEWS:
            return EXPLICIT_VIEWS[self.view]
        if self.name in EXPLICIT:
            return EXPLICIT[self.name]
        return next((why for key, why in EXPLICIT.items() if key.endswith("/") and self.route.startswith(key)), None)

    def writes(self) -> list[str]:
        return [m for m in WRITE_METHODS if m in self.methods] if self.methods is not None else ["POST"]

    def reads(self) -> bool:
        return self.methods is None or "GET" in self.methods


def _ninja_info(callback: Any) -> tuple[frozenset[str] | None, bool]:
    from ninja.operation import PathView
    from ninja.security import SessionAuth

    for cell in getattr(callback, "__closure__", None) or ():
        view = cell.cell_contents
        if isinstance(view, PathView):
            methods = frozenset(m for op in view.operations for m in op.methods)
            session = any(isinstance(a, SessionAuth) for op in view.operations for a in (op.auth_callbacks or []))
            return methods, session
    return None, False


def discover() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns: list[Any], prefix: str, ns: str, converters: dict[str, Any]) -> None:
        for p in patterns:
            text = str(p.pattern)
            if text.startswith("^"):  # a regex pattern: keep its literal text
                text = text.lstrip("^").rstrip("$").replace("\\", "")
            convs = {**converters, **getattr(p.pattern, "converters", {})}
            if isinstance(p, URLResolver):
                sub_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, prefix + text, sub_ns, convs)
            elif isinstance(p, URLPattern):
                route = prefix + text
                params = tuple((m["name"], convs.get(m["name"])) for m in _CONV.finditer(route))
                params += tuple((g, None) for g in getattr(p.pattern.regex, "groupindex", {}) if "<" not in route)
                name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
                methods, session = _ninja_info(p.callback)
                view = f"{getattr(p.callback, '__module__', '')}.{getattr(p.callback, '__qualname__', '')}"
                routes.append(Route(route, name, view, params, route.startswith("api/"), methods, session))

    walk(get_resolver().url_patterns, "", "", {})
    return routes


ROUTES = discover()
COVERED = [r for r in ROUTES if r.explicit() is None]

# --------------------------------------------------------------------------------------------------
# the world: built once for the module; each test runs in a savepoint inside it


@dataclass
class Subject:
    key: str  # "cement", "cement-m9", "steel", "far", "region-339901" …
    enterprise: str  # "cement" / "steel" / "far"
    month: int
    values: dict[str, Any] = field(default_factory=dict)  # kind → value


@dataclass
class Matrix:
    world: Any
    subjects: dict[str, Subject]
    tokens: dict[str, str]
    sentinels: dict[str, list[str]]  # enterprise key → strings that identify it
    orgs: dict[str, Any]
    #: links to one object (a month's lineage, a submitted version) → the roles that may follow them
    links: dict[str, set[str]] = field(default_factory=dict)


def _blank_pdf() -> bytes:
    """A valid one-page PDF without text (what an evidence upload looks like to pdftotext)."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


PDF = _blank_pdf()


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Matrix]:
    from dualcarbon.registry import api_tokens
    from dualcarbon.registry import services as registry
    from dualcarbon.registry.models import ApiToken, Consent, Membership
    from dualcarbon.reporting import services

    with contextlib.ExitStack() as stack:
        media = stack.enter_context(tempfile.TemporaryDirectory(prefix="dc-matrix-media-"))
        stack.enter_context(override_settings(MEDIA_ROOT=media))
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(transaction.atomic())
        world = build_world()
        orgs = {"cement": world.cement, "steel": world.steel, "far": world.other_city_firm}

        def make(key: str, ent: str, month: int) -> Subject:
            org, user = orgs[ent], world.users[ent]
            draft = services.draft_for(user, org, 2024, month)
            services.save_draft(user, draft, services.DraftData(**cement_month()))
            sub = services.submit(user, draft)
            ev = services.attach_evidence(
                user, sub, SimpleUploadedFile(f"{key}-invoice.pdf", PDF, content_type="application/pdf"), "invoice"
            )
            open_draft = services.draft_for(user, org, 2024, month + 1)
            services.save_draft(user, open_draft, services.DraftData(**cement_month()))
            entry = sub.entries.get(is_current=True)
            line = entry.run.lines.first()
            consent = Consent.objects.filter(enterprise=org).first()
            site = registry.add_site(world.users["admin"], org, f"{key} 厂区", org.region)
            membership = Membership.objects.get(user=user, organisation=org)
            values: dict[str, Any] = {
                "org": org.pk,
                "uscc": org.uscc,
                "submission": sub.pk,
                "draft": open_draft.pk,
                "entry": entry.pk,
                "run": entry.run_id,
                "line": line.pk if line else 0,
                "evidence": ev.pk,
                "evidence_path": ev.file.name,
                "consent": consent.pk if consent else 0,
                "token": 0,
                "label": "",
                "alert": 0,
                "site": site.pk,
                "membership": membership.pk,
                "bank": world.bank.pk,
                "consent_request": 0,
                "credit_report": "0",
                "package": 0,
                "policy": 0,
                "region": org.region_id,
                "year": 2024,
                "month": month,
                "period": f"2024-{month:02d}",
            }
            return Subject(key, ent, month, values)

        subjects = {
            "cement": make("cement", "cement", CONSENTED_MONTH),
            "cement-m9": make("cement-m9", "cement", UNCONSENTED_MONTH),
            "steel": make("steel", "steel", CONSENTED_MONTH),
            "far": make("far", "far", CONSENTED_MONTH),
        }
        from dualcarbon.reporting.models import ImportJob

        for s in subjects.values():  # a finished background Excel import per subject
            s.values["import_job"] = ImportJob.objects.create(
                enterprise=orgs[s.enterprise],
                year=2024,
                month=s.month,
                created_by=world.users[s.enterprise],
                file_name=f"{s.key}.xlsx",
                status=ImportJob.Status.DONE,
            ).pk
        tokens = {r: api_tokens.issue(world.users[r], "matrix")[1] for r in sorted(ENTERPRISE_STAFF | BANK_TOKEN_ROLES)}
        for t in ApiToken.objects.all():
            for s in subjects.values():
                if orgs[s.enterprise].pk == t.organisation_id:
                    s.values["token"] = t.pk
        if apps.is_installed("dualcarbon.rating"):
            from dualcarbon.rating import services as rating
            from dualcarbon.rating.models import VerificationLabel

            for prefix in ("3399", "3301"):
                rating.rate_region(prefix, 2024)
            for s in subjects.values():
                label = VerificationLabel.objects.filter(enterprise=orgs[s.enterprise]).first()
                label = label or VerificationLabel.objects.create(enterprise=orgs[s.enterprise])
                s.values["label"] = label.token
        if apps.is_installed("dualcarbon.monitoring"):
            from dualcarbon.monitoring.models import Alert, AlertRule

            rule = AlertRule.objects.create(kind=AlertRule.Kind.MISSING)
            for s in subjects.values():
                org = orgs[s.enterprise]
                s.values["alert"] = Alert.objects.create(
                    rule=rule,
                    kind=rule.kind,
                    enterprise=org,
                    region_id=org.region_id,
                    period=s.values["period"],
                    key=f"matrix/{s.key}",
                    message_zh=f"{org.name} 未按期报送",
                ).pk
        if apps.is_installed("dualcarbon.policy"):
            from dualcarbon.policy import services as policy

            pkg = policy.create_package(
                world.users["gov"],
                world.city,
                name_zh="示范市碳效码配套政策（矩阵）",
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
                rule={"all": [{"fact": "industry", "op": "in", "value": ["30", "31"]}]},
                benefit_kind="fixed",
                benefit_amount=200000,
            )
            for s in subjects.values():
                s.values.update(package=pkg.pk, policy=pol.pk)
            from dualcarbon.policy import sandbox
            from dualcarbon.registry.models import Region as _Region

            sandbox_of, sandbox_run_of = {}, {}
            for code in REGION_READERS:  # a draft with one run per region (region subjects take their region's)
                draft = sandbox.create_draft(
                    world.users["admin"],
                    _Region.objects.get(code=code),
                    kind="scheme",
                    title=f"矩阵草案 {code}",
                    changes={"grade_bounds": [0.3, 0.5, 1.2, 2.0]},
                )
                sandbox_of[code] = draft.pk
                sandbox_run_of[code] = sandbox.run(world.users["admin"], draft, 2024).pk
            for s in subjects.values():  # "sandbox" here: the 405 probe
                s.values.update(
                    sandbox_of=sandbox_of,
                    sandbox_run_of=sandbox_run_of,
                    sandbox=sandbox_of["339901"],
                    sandbox_run=sandbox_run_of["339901"],
                )
        from dualcarbon.finance.models import ConsentRequest

        # a pending request of the bank that reads cement, to cement (steel's and far's: none, id 0)
        for s in subjects.values():
            if s.enterprise == "cement":
                s.values["consent_request"] = ConsentRequest.objects.create(
                    bank=world.bank,
                    enterprise=world.cement,
                    purpose_code="loan_monitoring",
                    scope="accounts",
                    data_from="2024-01",
                    data_until="2024-12",
                    valid_until="2099-12-31",
                    requested_by=world.users["bank"],
                ).pk
        if apps.is_installed("dualcarbon.planning"):
            from decimal import Decimal

            from dualcarbon.planning import services as planning
            from dualcarbon.planning.models import Measure

            measure = Measure.objects.create(
                code="matrix-measure",
                name_zh="矩阵测试措施",
                name_en="Matrix measure",
                sector="全部行业",
                energy_type="电力",
                unit_zh="套",
                unit_en="set",
                tce_per_unit=Decimal("1.5"),
                conversion="grid",
                capex_per_unit=Decimal("1000"),
                lifetime_years=10,
                source="矩阵测试",
            )
            plans: dict[str, Any] = {}
            for s in subjects.values():  # one plan with one measure per enterprise
                org, user = orgs[s.enterprise], world.users[s.enterprise]
                if s.enterprise not in plans:
                    plan = planning.create_plan(
                        user, org, {"name": f"{s.enterprise} 规划", "base_year": 2024, "until_year": 2030}
                    )
                    item = planning.add_item(user, plan, {"measure": measure.pk, "quantity": "2", "start_year": 2025})
                    plans[s.enterprise] = (plan.pk, item.pk)
                s.values.update(plan=plans[s.enterprise][0], plan_item=plans[s.enterprise][1], measure=measure.pk)
            from dualcarbon.planning import pathways
            from dualcarbon.registry.models import Region

            scenario_of = {
                code: pathways.create_scenario(
                    world.users["admin"],
                    Region.objects.get(code=code),
                    {"name": f"矩阵情景 {code}", "kind": "baseline", "base_year": 2024, "until_year": 2030},
                ).pk
                for code in REGION_READERS
            }
            for s in subjects.values():  # region subjects take their region's scenario; "scenario" here: the 405 probe
                s.values.update(scenario_of=scenario_of, scenario=scenario_of["339901"])
        from dualcarbon.finance import credit_reports

        # a credit report the bank generated under cement's consent (steel's and far's: none, "0")
        report = credit_reports.generate(world.users["bank"], world.cement)
        for s in subjects.values():
            if s.enterprise == "cement":
                s.values["credit_report"] = report.number
        import datetime as _dt
        from decimal import Decimal as _D

        from dualcarbon.finance import lending
        from dualcarbon.finance.models import LoanApplication

        # loans (docs/finance.md): the bank's product, cement's application to it approved into a loan with one
        # drawdown; a financing need of each enterprise (its own), cement's pushed to the bank by the city
        product = lending.create_product(
            world.users["bank"],
            None,
            code="TXD",
            name_zh="碳效贷（矩阵）",
            purpose_tag="carbon",
            valid_from=_dt.date(2025, 1, 1),
            rule={"fact": "industry", "op": "in", "value": ["30", "31"]},
            min_amount="100000",
            max_amount="5000000",
            min_term=6,
            max_term=36,
            base_rate_bp=385,
            grade_spreads={"1": -40, "2": -20, "3": 0, "4": 30},
        )
        application = LoanApplication.objects.create(  # the snapshot of eligibility is not what the matrix tests
            product=product,
            version=product.versions.get(),
            bank=world.bank,
            enterprise=world.cement,
            consent=Consent.objects.filter(enterprise=world.cement, bank=world.bank).first(),
            amount=_D("1000000"),
            term_months=12,
            purpose="矩阵测试：流动资金",
            evaluation={},
            grade=3,
            quoted_rate_bp=385,
            applied_by=world.users["cement"],
        )
        lending.decide(world.users["bank"], application, approve=True, amount="1000000", rate_bp=385, term_months=12)
        lending.record_movement(world.users["bank"], application.loan, "drawdown", "400000")
        needs = {
            key: lending.post_need(
                world.users[key], org, amount="2000000", purpose_tag="transition", purpose="矩阵需求", term_months=24
            )
            for key, org in orgs.items()
        }
        lending.push_needs(
            world.users["gov"], "339900", title="矩阵推送", needs=[needs["cement"].pk], banks=[world.bank.pk]
        )
        for s in subjects.values():
            s.values.update(need=needs[s.enterprise].pk, product=0, loan_application=0, loan=0)
            if s.enterprise == "cement":
                s.values.update(product=product.pk, loan_application=application.pk, loan=application.loan.pk)
        # transition certification (docs/finance.md): a ruler per subject's sector; cement's application reviewed
        # by the world's verifier, certified and pushed to the bank; steel's and far's submitted to another
        # verification body (not the world's verifier, which reads cement only)
        from dualcarbon.finance import certification
        from dualcarbon.finance.models import CertApplication, CertRuler
        from dualcarbon.registry.models import Organisation as _Org

        other_verifier = _Org.objects.create(kind="verifier", name="另一家核查机构")
        for key, org in orgs.items():
            city = "339900" if key != "far" else "330100"
            ruler = CertRuler.objects.create(
                region_id=city,
                industry_code=org.industry_id,
                kind="project",
                version=1,
                valid_from=datetime.date(2020, 1, 1),
                sector_name=f"矩阵行业 {org.industry_id}",
                metric="energy_per_product",
                unit="kgce/t",
                entry_value=_D("1000000"),
                advanced_value=_D("1"),
                min_reduction_pct=_D("0"),
                principles=["no_lock_in", "dnsh", "just_transition"],
                source="矩阵测试",
                created_by=world.users["admin"],
            )
            cert = CertApplication.objects.create(
                enterprise=org,
                kind="project",
                industry_code=org.industry_id,
                ruler=ruler,
                name=f"矩阵认定项目 {key}",
                verifier=world.verifier if key == "cement" else other_verifier,
                baseline_year=2024,
                baseline=certification.account_year(org, 2024) or {},
                declared_value=_D("10"),
                expected_savings_tce=_D("100"),
                expected_reduction_tco2=_D("200"),
                investment=_D("1000000"),
                evidence="矩阵测试",
                status="reviewed" if key == "cement" else "submitted",
                applied_by=world.users[key],
            )
            if key == "cement":
                cert = certification.certify(
                    world.users["gov"],
                    cert,
                    valid_from=datetime.date(2025, 1, 1),
                    valid_until=datetime.date(2029, 12, 31),
                )
                certification.push_library(
                    world.users["gov"],
                    "339900",
                    title="矩阵项目库",
                    kind="project",
                    entries=[cert.pk],
                    banks=[world.bank.pk],
                )
            for s in subjects.values():
                if s.enterprise == key:
                    s.values.update(
                        cert_application=cert.pk, cert_sector=org.industry_id, cert_verifier=world.verifier.pk
                    )
        # KPI-linked loans, CERF and PCAF (docs/finance.md): an external-score KPI on cement's loan, an alert of the
        # bank about it, the certified project the loan finances and cement's equity and debt entered by the bank
        from dualcarbon.finance import disclosure
        from dualcarbon.finance import kpi as finance_kpi
        from dualcarbon.finance.models import BankAlert

        cement_loan = application.loan
        finance_kpi.add_kpi(
            world.users["bank"],
            cement_loan,
            metric="external",
            name="矩阵外部评分",
            unit="分",
            source="矩阵测试",
            targets="2025: 85 分",
            step_met_bp=-10,
            step_missed_bp=20,
        )
        BankAlert.objects.create(
            bank=world.bank,
            loan=cement_loan,
            kind="kpi_missed",
            subject="matrix",
            message_zh="矩阵测试预警",
            message_en="matrix alert",
        )
        disclosure.link_project(
            world.users["bank"],
            cement_loan,
            project=CertApplication.objects.get(enterprise=world.cement),
            project_financing="4000000",
            source="矩阵测试",
        )
        disclosure.enter_financials(
            world.users["bank"],
            world.bank,
            world.cement,
            as_of="2024-12-31",
            equity="3000000",
            debt="1000000",
            source="矩阵测试",
        )
        if apps.is_installed("dualcarbon.assets"):
            from dualcarbon.assets import services as assets
            from dualcarbon.assets.models import Asset, Factor
            from dualcarbon.registry.models import Region

            cod = Factor.objects.get(code="COD")
            assets.publish_fee_standard(
                Region.objects.get(code="339900"),
                cod,
                "1400",
                valid_from=datetime.date(2020, 1, 1),
                derivation="矩阵测试：按治理成本测算",
                publisher="示范市发展和改革委员会",
                document="矩阵测试标准",
                clause="第二条",
                published_on=datetime.date(2019, 12, 1),
            )
            for s in subjects.values():
                s.values.update(factor=cod.pk, asset=Asset.objects.get(code="DR-COD").pk, pledge=0)
                s.values.update(asset_confirmation=0, asset_bill=0)
                if s.enterprise == "far":  # 杭州 has no government in the world: nothing confirmed there
                    continue
                org = orgs[s.enterprise]
                conf = assets.confirm(
                    world.users["gov"],
                    org,
                    cod,
                    "20",
                    basis="permit",
                    basis_reference=f"矩阵-{s.key}",
                    confirmed_on=datetime.date(2024 if s.month <= 6 else 2023, s.month, 1),
                )
                bill = assets.issue_bill(
                    world.users["gov"],
                    conf.pk,
                    years=1,
                    issued_on=datetime.date(2024, s.month, 2),
                    due_date=datetime.date(2024, 12, 31),
                )
                s.values.update(asset_confirmation=conf.pk, asset_bill=bill.pk)
            cement_pledge = assets.pledge(
                world.users["cement"],
                Asset.objects.get(code="DR-COD"),
                2024,
                world.cement,
                5_000,
                bank=world.bank,
                loan_reference="示范农商银行〔2024〕质借字第 001 号",
            )
            for s in subjects.values():  # one pledge, cement's to the bank that reads cement
                if s.enterprise == "cement":
                    s.values["pledge"] = cement_pledge.pk
            from django.utils import timezone as _tz

            from dualcarbon.assets import trading

            # an open bidding round of cement's and of steel's (示范市: each may bid on the other's), steel's bid on
            # cement's; far (杭州) holds nothing: no listing (NO_LISTING, missing for everybody)
            opens, closes = _tz.localtime() - datetime.timedelta(hours=1), _tz.localtime() + datetime.timedelta(days=30)
            listing_of = {
                key: trading.create_listing(
                    world.users[key], orgs[key], Asset.objects.get(code="DR-COD"), 2024, 3_000, mode="auction",
                    reserve_price="1000", opens_at=opens, closes_at=closes,
                ).pk
                for key in ("cement", "steel")
            }  # fmt: skip
            trading.bid(world.users["steel"], listing_of["cement"], world.steel, 1_000, "1200")
            from dualcarbon.assets import ets

            # ETS: cement's and steel's 2024 allowances and obligations (far: none)
            obligation_of = {}
            for key in ("cement", "steel"):
                ets.allocate(world.users["gov"], orgs[key], 2024, "pre", 1_000, reference=f"矩阵-配额-{key}",
                             allocated_on=datetime.date(2024, 9, 1))  # fmt: skip
                obligation_of[key] = ets.set_obligation(
                    world.users["gov"], orgs[key], 2024, 1_000, source=f"矩阵-核查-{key}",
                    deadline=datetime.date(2025, 12, 31),
                ).pk  # fmt: skip
            from dualcarbon.assets import leasing
            from dualcarbon.registry.models import Organisation

            # leasing: cement offers a lease to an enterprise of its district that is no subject (a party knows its
            # counterparty by design, which the matrix's sentinels cannot tell from a leak); steel and far: none
            lessee = Organisation.objects.create(
                kind="enterprise", name="矩阵承租印染有限公司", uscc="91339901MA2LEASE1X", region_id="339901"
            )
            lease = leasing.offer(
                world.users["cement"], world.cement, lessee, Asset.objects.get(code="DR-COD"), 2024, 1_000,
                starts_on=_tz.localdate(), ends_on=_tz.localdate() + datetime.timedelta(days=90), rent="500.00",
            )  # fmt: skip
            for s in subjects.values():
                s.values["asset_lease"] = lease.pk if s.enterprise == "cement" else 0

            from dualcarbon.accounting import claims_register

            # the one-claim register: a claim of cement's and of steel's (the lookup shows each only in scope)
            for key in ("cement", "steel"):
                claims_register.claim("project", purpose="loan_kpi", claimant=orgs[key], quantity=1,
                                      reference=f"矩阵-贷款-{key}", key=f"矩阵-项目-{key}")  # fmt: skip
            for s in subjects.values():
                s.values.update(
                    asset_obligation=obligation_of.get(s.enterprise, 0),
                    listing=listing_of.get(s.enterprise, NO_LISTING),
                    listing_opens=opens.strftime("%Y-%m-%dT%H:%M"),
                    listing_closes=closes.strftime("%Y-%m-%dT%H:%M"),
                )
        if apps.is_installed("dualcarbon.programme"):
            from dualcarbon.programme import carbon_index
            from dualcarbon.programme import services as programme
            from dualcarbon.programme.models import Group, GroupInventory, GroupMembership, IndexRun, Programme, Task

            # the city's programme (tasks and projects in 示范市 itself and in 东城区; gov leads its leading group) and
            # Hangzhou's (one in 上城区); the tasks are overdue, so a dispatch check would raise alerts
            of: dict[str, dict[str, int]] = {k: {} for k in PROGRAMME_KINDS}
            for city, codes in (("339900", ("339900", "339901")), ("330100", ("330102",))):
                prog = Programme.objects.create(
                    region_id=city, name_zh=f"矩阵双碳示范城 {city}", start_year=2024, end_year=2026
                )
                lead = Group.objects.create(
                    programme=prog,
                    code="leading",
                    kind=Group.Kind.LEADING,
                    name_zh="领导小组",
                    lead_department="市政府",
                )
                if city == "339900":
                    GroupMembership.objects.create(group=lead, user=world.users["gov"], role=GroupMembership.Role.LEAD)
                for code in codes:
                    of["prog"][code] = prog.pk
                    of["prog_task"][code] = Task.objects.create(
                        programme=prog,
                        code=f"T-{code}",
                        title_zh=f"矩阵任务 {code}",
                        group=lead,
                        locality_id=code,
                        year=2024,
                        start_date=datetime.date(2024, 1, 1),
                        due_date=datetime.date(2024, 6, 30),
                        progress=10,
                    ).pk
                    fields = {"code": f"P-{code}", "name_zh": f"矩阵项目 {code}", "group": "leading", "locality": code}
                    fields.update(owner_name="矩阵业主单位", sector="energy", investment="1000000")
                    entry = programme.create_entry(world.users["admin"], "project", prog, fields, "矩阵测试")
                    of["prog_entry"][code] = entry.pk
                    method = carbon_index.methods()["ccni-structure"]
                    of["prog_index"][code] = IndexRun.objects.create(
                        programme=prog,
                        year=2024,
                        method=method.name,
                        method_version=method.version,
                        method_spec=carbon_index.method_spec(method),
                        file_name="矩阵.csv",
                        sha256="0" * 64,
                    ).pk
            # every subject enterprise keeps an inventory as a group (its accounts are partial: the page says so)
            inventories = {
                k: GroupInventory.objects.create(group=o, year=2024, approach="equity_share").pk
                for k, o in orgs.items()
            }
            for s in subjects.values():
                s.values.update({f"{k}_of": v for k, v in of.items()})
                s.values.update(prog=of["prog"]["339901"], prog_entry=of["prog_entry"]["339901"])
                s.values.update(prog_task=of["prog_task"]["339901"], prog_list="project")
                s.values.update(prog_index=of["prog_index"]["339901"], inventory=inventories[s.enterprise])
        # meter data (reporting/meter_data.py): a day of March 2024 for each subject enterprise, loaded by the city's
        # government (cement, steel) and the admin (far's county), so the meter pages, the metered totals and the
        # nowcast have each subject's figures to show (or to keep from the roles out of scope)
        from dualcarbon.reporting import meter_data

        def meter_file(keys: tuple[str, ...]) -> str:
            rows = ["meter_id,entity,ts,kwh"]
            for k in keys:
                rows += [f"M-{k},{orgs[k].uscc},2024-03-01 {h // 4:02d}:{h % 4 * 15:02d}:00,12.5" for h in range(96)]
            path = f"{media}/meters-{'-'.join(keys)}.csv"
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("\n".join(rows) + "\n")
            return path

        meter_data.load(world.users["gov"], meter_file(("cement", "steel")), region_code="339900")
        meter_data.load(world.users["admin"], meter_file(("far",)), region_code="330102")
        sentinels = {k: [o.name, str(o.uscc)] for k, o in orgs.items()}
        links: dict[str, set[str]] = {}
        for s in subjects.values():
            readers = {r for r in ROLES if s.enterprise in READS[r]}
            for name, key, who in (
                ("accounting:entry", "entry", readers - ({"bank"} if s.month > 6 else set())),
                ("reporting:version", "submission", readers - {"bank"}),
            ):
                with contextlib.suppress(NoReverseMatch):
                    links[reverse(name, args=[s.values[key]])] = who
        _count_changes()
        _SESSIONS.clear()
        yield Matrix(world, subjects, tokens, sentinels, orgs, links)
        transaction.set_rollback(True)


#: each role's signed-in session, reused while it exists (signing in anew for every request cost about 40 % of a
#: case's requests); a request that ends the session (signing out) makes the next one sign in again
_SESSIONS: dict[str, str] = {}


def _client(m: Matrix, role: str) -> Client:
    c = Client()
    if role != "anon":
        key = _SESSIONS.get(role)
        if key is not None and import_module(settings.SESSION_ENGINE).SessionStore().exists(key):
            c.cookies[settings.SESSION_COOKIE_NAME] = key
        else:
            c.force_login(m.world.users[role])
            _SESSIONS[role] = c.session.session_key
    return c


# --------------------------------------------------------------------------------------------------
# helpers


def _fill(route: Route, subject: Subject, *, draft: bool = False) -> str:
    kinds = route.kinds()
    url = route.route
    for name, conv in route.params:
        kind = kinds[name]
        assert kind is not None
        value = subject.values["draft" if (draft and kind == "submission") else kind]
        text = str(conv.to_url(value) if conv is not None else value)
        url = re.sub(r"<(?:[^>:]+:)?" + re.escape(name) + ">", lambda _m, t=text: t, url, count=1)
    return "/" + url


def _query(subject: Subject) -> str:
    v = subject.values
    q = {"org": v["org"], "enterprise": v["org"], "org_id": v["org"], "enterprise_id": v["org"]}
    q.update(submission=v["submission"], entry=v["entry"], district=v["region"], region=v["region"])
    q.update(year=v["year"], month=v["month"], alert=v["alert"])
    return "?" + urlencode(q)


def _allowed(route: Route, subject: Subject) -> set[str]:
    """Roles that may read this subject through this route."""
    kinds = route.object_kinds() | set(route.kinds().values()) - {None}
    if subject.key.startswith("region-"):
        allowed = set(REGION_READERS[subject.values["region"]])
        if kinds & {"prog", "prog_index"} and not kinds & {"prog_entry", "prog_task"}:
            allowed = set(PROGRAMME_READERS[subject.values["region"]])
    else:
        allowed = {r for r, seen in READS.items() if subject.enterprise in seen}
        if kinds & RAW_KINDS:
            allowed.discard("bank")  # banks read accounts, never raw submissions
        if kinds & PERIOD_KINDS and subject.month > 6:
            allowed.discard("bank")  # outside the consented months
        if route.name in BANK_REQUEST_ROUTES:
            # the bank's own request (cement's is the bank's): only that bank withdraws it
            return {"bank"} if subject.enterprise == "cement" else set()
        if kinds & {"credit_report"}:
            allowed &= {"bank"}  # the generating bank only, while its consent names the credit report
        if kinds & {"consent", "token", "consent_request"}:
            allowed &= {subject.enterprise, "admin"}
        if "pledge" in kinds:  # the holder's side (not its verifier or its consenting bank) and the pledgee bank
            allowed -= {"bank", "verifier"}
            allowed |= {"bank"} if subject.values["pledge"] else set()
        if "listing" in kinds:  # the seller's side (not its verifier or bank) and, while the round is open, the
            # other enterprises of its city (cement and steel: 示范市), who see it without the seller's name
            if subject.values["listing"] == NO_LISTING:
                return set()
            allowed -= {"bank", "verifier"}
            allowed |= {"cement", "steel"} if subject.enterprise in ("cement", "steel") else set()
        if "loan" in kinds and not subject.values.get("loan"):
            return set()  # the subject has no loan (steel's, far's: "0"): 404 for everyone, like missing
    if route.is_api and not route.session_auth:
        allowed &= {r for r in ROLES if _takes_token(route, r)}  # API tokens: enterprise staff, banks on some routers
    return allowed


def _takes_token(route: Route, role: str) -> bool:
    """Whether the role holds a token this API route accepts (enterprise staff: every router; banks: the routers
    that read under a consent, BANK_TOKEN_ROUTERS)."""
    return role in ENTERPRISE_STAFF or (role in BANK_TOKEN_ROLES and route.route.startswith(BANK_TOKEN_ROUTERS))


def _writers(route: Route, subject: Subject, allowed: set[str]) -> set[str]:
    spec = WRITERS.get(route.name)
    if spec is None:
        return allowed
    return allowed & {subject.enterprise if w == "owner" else w for w in spec}


def _content_text(response: Any) -> str:
    body = response.body
    if body[:5] == b"%PDF-":  # reports: the text layer, through poppler's pdftotext (make setup installs it)
        return _pdf_text(body)
    if body[:2] == b"PK":  # xlsx and other zipped office files
        try:
            with zipfile.ZipFile(BytesIO(body)) as z:
                return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        except zipfile.BadZipFile:
            return ""
    text = body.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            return json.dumps(json.loads(text), ensure_ascii=False)
    return text


def _pdf_text(body: bytes) -> str:
    """The text layer of a PDF answer; the matrix cannot search PDFs without poppler, so it fails without it."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.fail(
            "pdftotext is not installed: the scoping matrix reads PDF answers through it. "
            "Install poppler-utils (apt-get install poppler-utils; `make setup` does)."
        )
    out = subprocess.run(["pdftotext", "-q", "-", "-"], input=body, capture_output=True, check=False)
    if out.returncode != 0:
        pytest.fail(f"pdftotext could not read a PDF answer (exit {out.returncode}): {out.stderr!r}")
    return out.stdout.decode("utf-8", "replace")


def _leaks(m: Matrix, role: str, response: Any, shown: str = "") -> list[str]:
    """Names/USCCs in a 200 answer of enterprises the role may not read (``shown``: one it may see here)."""
    if response.status_code != 200 or role == "admin":
        return []
    text = _content_text(response)
    hidden = [e for e in m.sentinels if e not in READS[role] and e != shown]
    found = [f"{e}:{s}" for e in hidden for s in m.sentinels[e] if s in text]
    # links to objects the role may not open (a bank: months outside its consent, raw submissions)
    return found + [f"link:{href}" for href, who in m.links.items() if role not in who and f'"{href}' in text]


#: bookkeeping a request may write whatever its outcome (sessions, login throttling, the read log)
IGNORED_MODELS = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "registry.accesslog",
}
IGNORED_FIELDS = {"last_login", "last_used_at"}


def _org_path(model: type[models.Model], depth: int = 3) -> str | None:
    """The lookup from a model to the enterprise its rows belong to ("" for Organisation itself)."""
    from dualcarbon.registry.models import Organisation

    if model is Organisation:
        return "pk"
    fks = [f for f in model._meta.concrete_fields if f.many_to_one and f.related_model is not None]
    for f in fks:
        if f.related_model is Organisation and f.name in ("enterprise", "organisation"):
            return f.name
    if depth > 1:
        for f in fks:
            if f.related_model is not Organisation and f.related_model is not model:
                sub = _org_path(f.related_model, depth - 1)  # type: ignore[arg-type]
                if sub and sub != "pk":
                    return f"{f.name}__{sub}"
    return None


def fingerprint(org_id: int | None = None) -> str:
    """A hash of every row of every table (or only the rows belonging to one enterprise)."""
    h = hashlib.sha256()
    for model in _hashed_models():
        label = model._meta.label_lower
        qs = model._base_manager.all()
        if org_id is not None:
            path = _org_path(model)
            if path is None:
                continue
            qs = qs.filter(**{path: org_id})
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in IGNORED_FIELDS]
        h.update(label.encode())
        for row in qs.order_by("pk").values_list(*names):
            h.update(repr(row).encode())
    return h.hexdigest()


#: fingerprints by enterprise (None: the whole database), with the change count they were taken at
_FINGERPRINTS: dict[int | None, tuple[int, str]] = {}


def _count_changes() -> None:
    """On SQLite, temporary triggers count every insert, delete and update of a tracked column in every table the
    fingerprint hashes (the rows and fields it ignores excluded). Hashing every table costs more than half of
    the matrix's time; with the count, a fingerprint is taken again only after a tracked row changed."""
    _FINGERPRINTS.clear()
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS matrix_changes (n INTEGER NOT NULL)")
        cursor.execute("DELETE FROM matrix_changes")
        cursor.execute("INSERT INTO matrix_changes (n) VALUES (0)")
        for model in _hashed_models():
            table = model._meta.db_table
            columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields if f.attname not in IGNORED_FIELDS)
            for kind, event in (("i", "INSERT"), ("d", "DELETE"), ("u", f"UPDATE OF {columns}")):
                cursor.execute(
                    f'CREATE TEMP TRIGGER IF NOT EXISTS "matrix_{kind}_{table}" AFTER {event} ON "{table}" '
                    "BEGIN UPDATE matrix_changes SET n = n + 1; END"
                )


def _changes() -> int | None:
    """How many tracked rows changed since the matrix was built (None where nothing counts them)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM matrix_changes")
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _remembered_fingerprint(org_id: int | None) -> str:
    n = _changes()
    if n is not None and org_id in _FINGERPRINTS and _FINGERPRINTS[org_id][0] == n:
        return _FINGERPRINTS[org_id][1]
    h = fingerprint(org_id)
    if n is not None:
        _FINGERPRINTS[org_id] = (n, h)
    return h


def _hashed_models() -> list[type[models.Model]]:
    return [
        m
        for m in sorted(apps.get_models(), key=lambda x: x._meta.label_lower)
        if m._meta.label_lower not in IGNORED_MODELS and m._meta.managed and not m._meta.proxy
    ]


def _login_path() -> str:
    try:
        return str(resolve_url(settings.LOGIN_URL))
    except NoReverseMatch:
        return "/login/"


def _payload(route: Route, subject: Subject | None) -> dict[str, Any]:
    values = {**subject.values, "submission": subject.values["draft"]} if subject else {}
    out: dict[str, Any] = {}
    for k, v in PAYLOADS.get(route.name, {}).items():
        if v == "@pdf":
            out[k] = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
        elif v == "@xlsx":
            out[k] = SimpleUploadedFile(
                "x.xlsx",
                _fixture_bytes("template_cement_filled.xlsx"),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        elif isinstance(v, str) and subject is not None:
            out[k] = v.format(**values)
        else:
            out[k] = v
    if subject is not None and not route.is_api:
        out.setdefault("org", subject.values["org"])
    return out


def _fixture_bytes(name: str) -> bytes:
    from pathlib import Path

    p = Path(__file__).parent / "fixtures" / name
    return p.read_bytes() if p.exists() else b"PK"


#: a request to a plain page (no API token), for URLs that are not one of the discovered routes
_PLAIN = Route("", "", "", (), False, None, False)


def _request(m: Matrix, role: str, route: Route, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    """The answer, its body read whole into ``body`` (a streamed file is consumed, which closes it)."""
    client = _client(m, role)
    headers = {}
    if route.is_api and role in m.tokens and _takes_token(route, role):
        headers["Authorization"] = f"Bearer {m.tokens[role]}"
    if method == "GET":
        r = client.get(url, headers=headers)
    elif route.is_api:
        call = getattr(client, method.lower())
        r = call(url, data=json.dumps(data or {}), content_type="application/json", headers=headers)
    elif method == "POST":
        r = client.post(url, data=data or {}, headers=headers)
    else:
        call = getattr(client, method.lower())
        r = call(url, data=urlencode(data or {}), content_type="application/x-www-form-urlencoded", headers=headers)
    r.body = b"".join(r.streaming_content) if r.streaming else r.content
    return r


def _redirects_to_login(r: Any, login: str) -> bool:
    return r.status_code in (301, 302, 303) and r["Location"].split("?")[0] == login


# --------------------------------------------------------------------------------------------------
# the tests


def test_every_pattern_is_covered() -> None:
    """Each URL pattern is fillable or listed in EXPLICIT; no EXPLICIT/PUBLIC/… entry is stale."""
    problems = []
    for r in COVERED:
        missing = [p for p, k in r.kinds().items() if k is None]
        if missing:
            problems.append(f"{r.route} ({r.name}): cannot fill {missing}; teach PARAM_KINDS or list it in EXPLICIT")
    names = {r.name for r in ROUTES}
    tables = {"EXPLICIT": EXPLICIT, "PUBLIC": PUBLIC, "SHOWS_SUBJECT": SHOWS_SUBJECT, "NARROWER": NARROWER}
    tables.update(WRITERS=WRITERS, PAYLOADS=PAYLOADS, ASKERS=ASKERS)
    for table_name, table in tables.items():
        for key in table:
            if key not in names and not any(r.route.startswith(key) for r in ROUTES if key.endswith("/")):
                problems.append(f"{table_name} entry {key!r} matches no URL pattern any more")
    views = {r.view for r in ROUTES}
    problems += [f"EXPLICIT_VIEWS entry {v!r} is mounted nowhere any more" for v in EXPLICIT_VIEWS if v not in views]
    assert not problems, "\n".join(problems)


def test_admin_is_staff_only(matrix: Matrix) -> None:
    """The Django admin is outside the matrix: non-staff are sent to its login; only platform admins are staff."""
    from dualcarbon.registry.models import Membership

    far = matrix.subjects["far"].values["org"]
    for role, user in matrix.world.users.items():
        if user.is_staff:
            assert Membership.objects.filter(user=user, role=Membership.Role.PLATFORM_ADMIN).exists(), role
            continue
        for url in ("/admin/", f"/admin/registry/organisation/{far}/change/"):
            r = _client(matrix, role).get(url)
            assert r.status_code == 302 and r["Location"].startswith("/admin/login/"), (role, url, r.status_code)


_CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*"')


def _page(response: Any, path: str) -> bytes:
    """An answer's body without what differs between two requests: CSRF tokens, the path it names."""
    return _CSRF.sub(rb"\1-", response.body).replace(path.encode(), b"<path>")


#: who may download cement's evidence (raw records: its own staff, its city and district governments, its
#: assigned verifier, the admin; not banks, not other enterprises)
EVIDENCE_READERS = {"cement", "gov", "district", "verifier", "admin"}


def test_uploaded_evidence_is_served_only_by_the_scoped_view(matrix: Matrix) -> None:
    """The evidence file's storage path is no URL: requesting it (as MEDIA_URL + path, or the bare path)
    answers 404 to every role. ``reporting:evidence_file`` serves the file's bytes, as an attachment, to the
    roles that read the enterprise's raw records, and 404 (exactly like a missing id) to everyone else."""
    from pathlib import Path

    from dualcarbon.reporting.models import Evidence

    ev = Evidence.objects.get(pk=matrix.subjects["cement"].values["evidence"])
    assert (Path(settings.MEDIA_ROOT) / ev.file.name).read_bytes() == PDF  # stored: a 404 is not a missing file
    login = _login_path()
    for url in (ev.file.url, "/" + ev.file.name):
        for role in ROLES:
            r = _request(matrix, role, _PLAIN, "GET", url)
            assert r.status_code == 404, f"GET {url} (a stored evidence file) as {role} → {r.status_code}"
    url = reverse("reporting:evidence_file", args=[ev.pk])
    missing = reverse("reporting:evidence_file", args=[Evidence.objects.order_by("-pk")[0].pk + 1000])
    for role in ROLES:
        r = _request(matrix, role, _PLAIN, "GET", url)
        if role == "anon":
            assert _redirects_to_login(r, login), f"GET {url} as anon → {r.status_code}"
        elif role in EVIDENCE_READERS:
            assert r.status_code == 200, f"GET {url} as {role} → {r.status_code}"
            assert r.body == PDF
            assert r["Content-Disposition"] == 'attachment; filename="cement-invoice.pdf"'
        else:
            assert r.status_code == 404, f"GET {url} as {role} → {r.status_code}"
            absent = _request(matrix, role, _PLAIN, "GET", missing)  # the same page, naming its own path
            assert _page(r, url) == _page(absent, missing), role


CASES = [pytest.param(r, role, id=f"{r.id}-{role}") for r in COVERED if r.fillable() for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CASES)
def test_matrix(matrix: Matrix, route: Route, role: str) -> None:
    failures: list[str] = []
    login = _login_path()
    public = route.name in PUBLIC
    kinds = route.object_kinds()

    hashes: dict[int | str | None, str] = {}

    def state(org_id: int | None, fresh: bool = False) -> str:
        """The database's hash (all rows, or one enterprise's), remembered between writes; on SQLite remembered
        across cases while no tracked row changed (:func:`_count_changes`)."""
        if fresh:
            hashes.clear()
        if org_id not in hashes:
            hashes[org_id] = _remembered_fingerprint(org_id)
        return hashes[org_id]

    def check_anon(method: str, url: str, r: Any) -> None:
        if public:
            return
        where = f"{method} {url} as anon → {r.status_code}"
        if route.is_api:
            if r.status_code not in (401, 405):
                failures.append(f"{where}: an anonymous API call must get 401")
        elif r.status_code != 405 and not _redirects_to_login(r, login):
            failures.append(f"{where}: anonymous must be redirected to {login}")

    def get_is_refused_by_method() -> bool:
        """The view takes no GET at all: the admin (in every scope) gets 405 too."""
        if "get405" not in hashes:
            url = _fill(route, matrix.subjects["cement"])
            hashes["get405"] = str(_request(matrix, "admin", route, "GET", url).status_code == 405)
        return hashes["get405"] == "True"

    def refused_read(where: str, r: Any) -> None:
        """A read refused for scope answers exactly like a missing object: 404 (an API operation that takes
        tokens only: 401 for a role without one; a view that takes no GET: 405, as for everybody)."""
        if route.is_api and route.methods is not None and not route.session_auth and not _takes_token(route, role):
            expected = 401
        elif r.status_code == 405 and get_is_refused_by_method():
            expected = 405
        else:
            expected = 404
        if r.status_code != expected:
            failures.append(f"{where}: expected {expected} (out of scope looks exactly like missing)")

    def check_leaks(method: str, url: str, r: Any, label: str, shown: str = "") -> None:
        leaked = _leaks(matrix, role, r, shown)
        if leaked:
            failures.append(f"{method} {url} as {role} [{label}] → {r.status_code} shows data out of scope: {leaked}")
        if r.status_code >= 500:
            failures.append(f"{method} {url} as {role} [{label}] → {r.status_code}: server error")

    if kinds:
        # object patterns: strict expectations per subject
        subjects = list(matrix.subjects.values())
        if kinds & {"region", "scenario", "sandbox", "sandbox_run", *PROGRAMME_KINDS}:
            base = matrix.subjects["cement"]
            subjects = [
                Subject(
                    f"region-{code}",
                    "cement",
                    CONSENTED_MONTH,
                    {
                        **base.values,
                        "region": code,
                        "scenario": base.values.get("scenario_of", {}).get(code, 0),
                        "sandbox": base.values.get("sandbox_of", {}).get(code, 0),
                        "sandbox_run": base.values.get("sandbox_run_of", {}).get(code, 0),
                        **{k: base.values.get(f"{k}_of", {}).get(code, 0) for k in PROGRAMME_KINDS},
                    },
                )
                for code in REGION_READERS
            ]
        elif not kinds & PERIOD_KINDS:
            subjects = [s for s in subjects if s.key != "cement-m9"]
        for subject in subjects:
            allowed = _allowed(route, subject)
            expect_ok = allowed & NARROWER[route.name] if route.name in NARROWER else allowed
            if route.reads():
                url = _fill(route, subject)
                r = _request(matrix, role, route, "GET", url)
                code, where = r.status_code, f"GET {url} as {role} [{subject.key}] → {r.status_code}"
                if public:
                    if code != 200:
                        failures.append(f"{where}: a public page about an existing object must answer 200")
                elif role == "anon":
                    check_anon("GET", url, r)
                elif role in expect_ok:
                    if not (code == 200 or 300 <= code < 400 or code == 405) or _redirects_to_login(r, login):
                        failures.append(f"{where}: expected 200/redirect for a role in scope")
                elif role not in allowed:
                    refused_read(where, r)
                check_leaks("GET", url, r, subject.key, subject.enterprise if route.name in SHOWS_SUBJECT else "")
            writers = _writers(route, subject, allowed)
            if role in writers or public:
                continue
            for method in route.writes():
                for url in dict.fromkeys([_fill(route, subject), _fill(route, subject, draft=True)]):
                    before = state(None)
                    r = _request(matrix, role, route, method, url, _payload(route, subject))
                    where = f"{method} {url} as {role} [{subject.key}] → {r.status_code}"
                    if state(None, fresh=True) != before:
                        failures.append(f"{where}: CHANGED DATA (role may not write here)")
                    if role == "anon":
                        check_anon(method, url, r)
                    elif role not in allowed and not 400 <= r.status_code < 500:
                        failures.append(f"{where}: expected a refusal (4xx) for a role out of scope")
                    check_leaks(method, url, r, subject.key)
    else:
        # pages without object parameters: plain, then with each subject in the query string
        base = matrix.subjects["cement"]
        plain = _fill(route, base)
        if route.reads():
            r = _request(matrix, role, route, "GET", plain)
            if role == "anon":
                check_anon("GET", plain, r)
            elif route.name in NARROWER and role in NARROWER[route.name]:
                if not (r.status_code == 200 or 300 <= r.status_code < 400) or _redirects_to_login(r, login):
                    failures.append(f"GET {plain} as {role} → {r.status_code}: expected 200/redirect")
            elif 400 <= r.status_code < 500:
                refused_read(f"GET {plain} as {role} → {r.status_code}", r)
            check_leaks("GET", plain, r, "plain")
        if role == "anon":
            for method in route.writes():
                if not public:
                    check_anon(method, plain, _request(matrix, role, route, method, plain, _payload(route, base)))
        else:
            for subject in matrix.subjects.values():
                url = _fill(route, subject) + ("" if route.is_api else _query(subject))
                if route.reads():
                    r = _request(matrix, role, route, "GET", url)
                    if 400 <= r.status_code < 500:  # the page refuses this subject (or this role)
                        refused_read(f"GET {url} as {role} [{subject.key}] → {r.status_code}", r)
                    check_leaks("GET", url, r, subject.key)
                # through a page without object parameters only the subject's own staff change its rows,
                # unless WRITERS names the roles (then: those of them that may read the subject)
                if route.name in ASKERS:
                    may_write = ASKERS[route.name]
                elif route.name in WRITERS:
                    may_write = _writers(route, subject, {r for r in ROLES if subject.enterprise in READS[r]})
                else:
                    may_write = {subject.enterprise}
                if role in may_write:
                    continue
                org_id = matrix.orgs[subject.enterprise].pk
                for method in route.writes():
                    before = state(org_id)
                    r = _request(matrix, role, route, method, url, _payload(route, subject))
                    if state(org_id, fresh=True) != before:
                        where = f"{method} {url} as {role} [{subject.key}] → {r.status_code}"
                        failures.append(f"{where}: CHANGED {subject.enterprise}'s DATA")
                    check_leaks(method, url, r, subject.key)
    assert not failures, "\n".join(failures)


def test_the_change_counter_sees_every_tracked_write_and_no_ignored_one(matrix: Matrix) -> None:
    """The matrix re-hashes the database only after the change count moved: it must move for an insert, an update
    and a delete made through the ORM, as a view makes them, and stay put for what the fingerprint ignores."""
    if connection.vendor != "sqlite":
        pytest.skip("the counting triggers are SQLite's")
    from dualcarbon.registry.models import Region

    user = matrix.world.users["gov"]
    with transaction.atomic():
        sid = transaction.savepoint()
        start = _changes()
        assert start is not None
        region = Region.objects.create(code="659999", name="counter test", level="county")
        assert _changes() == start + 1
        Region.objects.filter(pk=region.pk).update(name="counter test 2")
        assert _changes() == start + 2
        Region.objects.filter(pk=region.pk).delete()
        assert _changes() == start + 3
        type(user).objects.filter(pk=user.pk).update(last_login=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        assert _changes() == start + 3, "last_login is ignored by the fingerprint"
        transaction.savepoint_rollback(sid)


def test_matrix_size(capsys: pytest.CaptureFixture[str]) -> None:
    """Every URL pattern Django knows is either run as every role or listed in EXPLICIT: the patterns are
    counted a second way (Django's own walk of the URL configuration, as the admin documentation does it)."""
    from django.contrib.admindocs.views import extract_views_from_urlpatterns

    django_count = len(extract_views_from_urlpatterns(get_resolver().url_patterns))
    explicit = [r for r in ROUTES if r.explicit() is not None]
    filled = [r for r in COVERED if r.fillable()]
    with capsys.disabled():
        print(
            f"\nscoping matrix: {len(filled)} patterns × {len(ROLES)} roles = {len(CASES)} cases; "
            f"{len(explicit)} patterns under EXPLICIT ({', '.join(EXPLICIT)})"
        )
    assert len(ROUTES) == django_count
    assert len(filled) + len(explicit) == len(ROUTES)
    assert len(ROLES) == 10
    assert len(CASES) == len(filled) * 10
    assert {c.id for c in CASES} == {f"{r.id}-{role}" for r in filled for role in ROLES}
