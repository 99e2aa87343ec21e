"""Issue 11: the admin names the platform and every model in the user's language ("Django 管理", "Account entrys"
and "机构s" were what a new administrator saw)."""

from __future__ import annotations

import pytest

from tests.web.helpers import fast_world, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    world = fast_world(settings)
    admin = world.users["admin"]
    # a platform administrator as the demo region sets one up (demo/generator.py: staff and superuser)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return login(client, admin)


def test_the_admin_is_titled_by_the_platform(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "<title>平台配置与数据 | 双碳平台管理</title>" in html
    assert '<a href="/admin/">双碳平台管理</a>' in html
    assert "Django" not in html


def test_models_have_chinese_names(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert '<a href="/admin/accounting/accountentry/">核算结果（企业 × 月）</a>' in html
    assert '<a href="/admin/registry/organisation/">机构</a>' in html
    assert '<a href="/admin/registry/verifierassignment/">核查指派</a>' in html
    assert '<a href="/admin/rating/ratingresult/">评级结果</a>' in html
    assert "机构s" not in html


def test_models_have_english_names(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<title>Platform configuration and data | DualCarbon administration</title>" in html
    assert '<a href="/admin/accounting/accountentry/">Account entries (enterprise × month)</a>' in html
    assert '<a href="/admin/registry/organisation/">Organisations</a>' in html
    assert '<a href="/admin/registry/" class="section" title="Models in the Register application">Register</a>' in html
