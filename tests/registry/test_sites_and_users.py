"""Sites (厂区/场所) added, edited and removed by the government, with their history; users invited to an enterprise
(a staff account without a password and a one-time link to set one: by e-mail, or shown once on the page when no
e-mail backend delivers), the link used once, memberships deactivated (their API tokens revoked)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dualcarbon.registry import access, api_tokens, services
from dualcarbon.registry.models import ApiToken, Membership, Site

from .conftest import registry_rows

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as a new request loads it (the actor is cached on the object)."""
    return type(user).objects.get(pk=user.pk)


# --------------------------------------------------------------------------- sites


def test_sites_are_added_edited_and_removed_with_their_history(world, as_user):
    gov = as_user("gov")
    r = gov.post(
        reverse("registry:site_new", args=[world.cement.pk]),
        {"name": "一号窑线", "region": world.district_a.code, "address": "东城区建材路 1 号"},
    )
    assert r.status_code == 302 and r["Location"] == reverse("registry:enterprise", args=[world.cement.pk]) + "#sites"
    site = Site.objects.get(organisation=world.cement)
    assert (site.name, site.region_id, site.address) == ("一号窑线", "339901", "东城区建材路 1 号")
    r = gov.post(
        reverse("registry:site_edit", args=[site.pk]),
        {"name": "一号窑线", "region": world.district_b.code, "address": "西城区港口路 9 号"},
    )
    site.refresh_from_db()
    assert (site.region_id, site.address) == ("339902", "西城区港口路 9 号")
    html = gov.get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    assert '<td>一号窑线</td><td class="nowrap">西城区</td><td>西城区港口路 9 号</td>' in html
    gov.post(reverse("registry:site_delete", args=[site.pk]))
    assert Site.objects.filter(organisation=world.cement).count() == 0
    history = list(Site.history.filter(id=site.pk).order_by("history_id"))
    assert [(h.history_type, h.history_change_reason, h.history_user_id) for h in history] == [
        ("+", "新增厂区", world.users["gov"].pk),
        ("~", "修改厂区", world.users["gov"].pk),
        ("-", "删除厂区", world.users["gov"].pk),
    ]
    html = gov.get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    changes = html.split('id="history"')[1]
    assert "删除厂区 · 一号窑线" in changes and "<del>东城区</del> → 西城区" in changes


def test_a_site_in_a_county_outside_the_jurisdiction_or_of_another_enterprise_is_refused(world, as_user):
    district = as_user("district")  # 东城区
    before = registry_rows()
    r = district.post(
        reverse("registry:site_new", args=[world.cement.pk]), {"name": "越界厂区", "region": world.district_b.code}
    )
    assert [str(e) for e in r.context["form"].errors["region"]] == ["所选县区不在您的辖区内"]
    assert (
        district.post(
            reverse("registry:site_new", args=[world.steel.pk]), {"name": "越界厂区", "region": world.district_a.code}
        ).status_code
        == 404
    )
    assert registry_rows() == before
    site = services.add_site(world.users["gov"], world.steel, "二号高炉", world.district_b)
    before = registry_rows()
    for role in ("district", "cement", "steel", "bank", "verifier"):
        client = as_user(role)
        assert client.post(reverse("registry:site_delete", args=[site.pk])).status_code == 404, role
        assert client.get(reverse("registry:site_edit", args=[site.pk])).status_code == 404, role
    assert registry_rows() == before


# --------------------------------------------------------------------------- users


def _invite(client, world, **changes):
    data = {"username": "cement-energy", "name": "李能源", "email": "li@example.cn", "role": "enterprise_staff"}
    data.update(changes)
    return client.post(reverse("registry:invite", args=[world.cement.pk]), data)


def _link(text: str) -> str:
    (path,) = re.findall(r"/registry/welcome/[^/\s\"<]+/[^/\s\"<]+/", text)
    return path


def test_an_invited_user_gets_a_one_time_link_by_email_and_sets_a_password(world, as_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    r = _invite(as_user("gov"), world)
    assert r.status_code == 200
    person = Membership.objects.get(organisation=world.cement, user__username="cement-energy").user
    assert (person.first_name, person.email, person.has_usable_password()) == ("李能源", "li@example.cn", False)
    assert access.actor_for(_fresh(person)).enterprise_ids == frozenset({world.cement.pk})
    html = r.content.decode()
    assert "设置密码的链接已发送至 li@example.cn。链接仅可使用一次。" in html and "/registry/welcome/" not in html
    (message,) = mail.outbox
    assert (
        message.to == ["li@example.cn"]
        and message.subject == "[双碳平台] 示范水泥有限公司：请设置您的登录密码 / set your password"
    )
    path = _link(message.body)
    assert f"http://testserver{path}" in message.body
    anonymous = Client()
    form_page = anonymous.get(path, follow=True)
    assert form_page.context["validlink"] is True and "用户名：cement-energy" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    weak = anonymous.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and not _fresh(person).has_usable_password()
    done = anonymous.post(set_url, {"new_password1": "Carbon-ledger-77", "new_password2": "Carbon-ledger-77"})
    assert done.status_code == 302 and done["Location"] == reverse("web:login")
    assert _fresh(person).check_password("Carbon-ledger-77")
    again = Client().get(path, follow=True)  # the link works once
    assert again.context["validlink"] is False
    assert "该链接无效：可能已使用过或已过期。" in again.content.decode()
    signed_in = Client().post(reverse("web:login"), {"username": "cement-energy", "password": "Carbon-ledger-77"})
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("web:home")


def test_without_an_email_backend_the_link_is_shown_once_on_the_page(world, as_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(settings.BASE_DIR / "var" / "test-mail-unused")
    gov = as_user("gov")
    html = _invite(gov, world).content.decode()
    assert "请将以下链接转交本人（仅显示这一次）：" in html
    path = _link(html)
    assert f'<span class="link" id="invite-link">http://testserver{path}</span>' in html
    assert mail.outbox == []
    page = gov.get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    assert path not in page and '<span class="badge invited">待设置密码</span>' in page
    # a lost link: a new one (the page shows it once again)
    membership = Membership.objects.get(user__username="cement-energy")
    renewed = gov.post(reverse("registry:membership_link", args=[membership.pk])).content.decode()
    assert "新的设置密码链接" in renewed and _link(renewed).startswith(path.rsplit("/", 3)[0])


def test_an_invitation_needs_a_free_username_and_a_managed_enterprise(world, as_user):
    gov = as_user("gov")
    before = registry_rows()
    r = _invite(gov, world, username="Steel")  # user names are compared without case
    assert [str(e) for e in r.context["form"].errors["username"]] == ["该用户名已被使用"]
    r = _invite(gov, world, username="bad name!")
    assert [str(e) for e in r.context["form"].errors["username"]] == [
        "请输入合法的用户名。只能包含英文字母、数字、特殊字符“@”、“.”、“-”和“_”。"
    ]
    for role in ("cement", "bank", "verifier", "steel"):
        assert _invite(as_user(role), world).status_code == 404, role
    assert (
        as_user("district")
        .post(
            reverse("registry:invite", args=[world.steel.pk]),
            {"username": "x", "name": "x", "role": "enterprise_staff"},
        )
        .status_code
        == 404
    )
    assert registry_rows() == before


def test_deactivating_a_membership_ends_the_access_and_revokes_its_tokens(world, as_user):
    staff = world.users["cement"]
    token, key = api_tokens.issue(staff, "ERP")
    membership = Membership.objects.get(user=staff, organisation=world.cement)
    assert (
        as_user("cement").post(reverse("registry:membership_active", args=[membership.pk]), {"active": "0"}).status_code
        == 404
    )  # not the staff's own to change
    r = as_user("district").post(reverse("registry:membership_active", args=[membership.pk]), {"active": "0"})
    assert r.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False
    assert access.actor_for(_fresh(staff)).enterprise_ids == frozenset()
    token.refresh_from_db()
    assert token.revoked_at is not None and api_tokens.lookup(key) is None
    assert ApiToken.objects.filter(user=staff, revoked_at__isnull=True).count() == 0
    html = as_user("gov").get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    assert '<span class="badge inactive">已停用</span>' in html
    as_user("gov").post(reverse("registry:membership_active", args=[membership.pk]), {"active": "1"})
    assert access.actor_for(_fresh(staff)).enterprise_ids == frozenset({world.cement.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None  # a revoked token stays revoked
