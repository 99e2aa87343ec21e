"""The register's pages: a government registers an enterprise of its jurisdiction (the USCC's check digit, the
county, the industry by name), edits it with its history kept, deactivates it (never deleted), finds it by name or
USCC with filters and pages; an enterprise's staff read their own page; banks and verifiers get 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dualcarbon.registry import access, services
from dualcarbon.registry.models import Industry, Organisation
from tests.factories import World

from .conftest import registry_rows

pytestmark = pytest.mark.django_db

#: a GB 32100-2015 code and its check digit, computed outside the project (python-stdnum's
#: cn.uscc.calc_check_digit("91339901MA2AAAAA1") == "M")
NEW_USCC = "91339901MA2AAAAA1M"
#: the same code with its last character changed: the check digit no longer matches
BAD_CHECK_DIGIT = "91339901MA2AAAAA1N"


def _form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "示范建材有限公司",
        "uscc": NEW_USCC,
        "region": world.district_a.code,
        "industry": "3011",
        "size_class": "medium",
        "above_scale": "on",
        "contact_name": "王工",
        "contact_phone": "13800000000",
        "contact_email": "wang@example.cn",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _errors(response: Any) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


def test_the_check_digit_of_the_test_codes():
    from stdnum.cn import uscc

    assert uscc.calc_check_digit(NEW_USCC[:17]) == NEW_USCC[17]
    assert uscc.calc_check_digit(BAD_CHECK_DIGIT[:17]) != BAD_CHECK_DIGIT[17]


def test_government_registers_an_enterprise_of_its_jurisdiction(world, as_user):
    gov = as_user("gov")
    page = gov.get(reverse("registry:enterprise_new")).content.decode()
    # the industry is chosen by name (never a bare code), grouped under its section
    assert '<option value="3011">非金属矿物制品业 › 水泥制造</option>' in page
    assert '<optgroup label="制造业">' in page
    # the counties of the city, not 杭州's
    assert f'<option value="{world.district_a.code}">示范市 东城区</option>' in page
    assert 'value="330102"' not in page
    r = gov.post(reverse("registry:enterprise_new"), _form(world))
    org = Organisation.objects.get(uscc=NEW_USCC)
    assert r.status_code == 302 and r["Location"] == reverse("registry:enterprise", args=[org.pk])
    got = (org.kind, org.name, org.region_id, org.industry_id, org.size_class, org.above_scale, org.is_active)
    assert got == ("enterprise", "示范建材有限公司", "339901", "3011", "medium", True, True)
    assert (org.contact_name, org.contact_phone, org.contact_email) == ("王工", "13800000000", "wang@example.cn")
    (version,) = org.history.all()
    assert (version.history_type, version.history_user, version.history_change_reason) == (
        "+",
        world.users["gov"],
        "登记",
    )
    html = gov.get(r["Location"]).content.decode()
    assert "已登记：示范建材有限公司" in html and "水泥制造" in html and NEW_USCC in html


def test_a_uscc_with_a_wrong_check_digit_or_already_registered_is_refused(world, as_user):
    gov = as_user("gov")
    before = registry_rows()
    r = gov.post(reverse("registry:enterprise_new"), _form(world, uscc=BAD_CHECK_DIGIT))
    assert r.status_code == 200
    assert _errors(r) == [f"“{BAD_CHECK_DIGIT}”不是有效的统一社会信用代码（校验位或格式错误）"]
    r = gov.post(reverse("registry:enterprise_new"), _form(world, uscc=world.steel.uscc))
    assert _errors(r) == ["该统一社会信用代码已登记"]
    r = gov.post(reverse("registry:enterprise_new"), _form(world, uscc="91339901MA2AAAAA1"))
    assert _errors(r) == ["“91339901MA2AAAAA1”不是有效的统一社会信用代码（校验位或格式错误）"]
    assert registry_rows() == before


def test_a_county_outside_the_jurisdiction_is_refused_by_the_form_and_the_service(world, as_user):
    district = as_user("district")  # 东城区 339901 only
    page = district.get(reverse("registry:enterprise_new")).content.decode()
    assert re.findall(r'<select name="region"[^>]*>(.*?)</select>', page, re.S)[0].count("<option") == 2  # — and 东城区
    before = registry_rows()
    r = district.post(reverse("registry:enterprise_new"), _form(world, region=world.district_b.code))
    assert _errors(r) == ["所选县区不在您的辖区内"]
    assert registry_rows() == before
    fields = {
        "name": "越界企业",
        "uscc": NEW_USCC,
        "region": world.district_b,
        "industry": Industry.objects.get(code="30"),
    }
    with pytest.raises(ValidationError) as exc:
        services.register_enterprise(world.users["district"], **fields)
    assert exc.value.message_dict == {"region": ["所选县区不在您的辖区内"]}
    with pytest.raises(ValidationError) as exc:  # a prefecture is no county
        services.register_enterprise(world.users["gov"], **{**fields, "region": world.city})
    assert exc.value.message_dict == {"region": ["请选择县级行政区划"]}
    with pytest.raises(PermissionDenied):  # a bank registers nothing
        services.register_enterprise(world.users["bank"], **{**fields, "region": world.district_a})
    assert registry_rows() == before


def test_editing_keeps_the_history_and_the_page_shows_what_changed(world, as_user):
    gov = as_user("gov")
    url = reverse("registry:enterprise_edit", args=[world.cement.pk])
    form = gov.get(url).context["form"]
    assert form.initial["uscc"] == world.cement.uscc and form.initial["industry"] == "30"
    data = _form(world, name="示范水泥集团有限公司", uscc=world.cement.uscc, industry="3011", size_class="large")
    r = gov.post(url, data)
    assert r.status_code == 302
    world.cement.refresh_from_db()
    assert (world.cement.name, world.cement.industry_id, world.cement.contact_name) == (
        "示范水泥集团有限公司",
        "3011",
        "王工",
    )
    versions = list(world.cement.history.order_by("history_id"))
    assert [(v.history_type, v.name, v.history_user_id) for v in versions] == [
        ("+", "示范水泥有限公司", None),  # built by the test world, outside a request
        ("~", "示范水泥集团有限公司", world.users["gov"].pk),
    ]
    html = gov.get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    history = html.split('id="history"')[1]
    assert "<del>示范水泥有限公司</del> → 示范水泥集团有限公司" in history
    assert "<del>非金属矿物制品业</del> → 水泥制造" in history  # industries by name, not code
    assert "<del>—</del> → 王工" in history


def test_deactivating_keeps_the_enterprise_and_ends_its_staffs_access(world, as_user):
    gov = as_user("gov")
    assert world.cement.pk in access.actor_for(world.users["cement"]).enterprise_ids
    r = gov.post(reverse("registry:enterprise_active", args=[world.cement.pk]), {"active": "0"})
    assert r.status_code == 302
    world.cement.refresh_from_db()
    assert world.cement.is_active is False
    assert Organisation.objects.filter(pk=world.cement.pk).count() == 1  # never deleted
    staff = type(world.users["cement"]).objects.get(pk=world.users["cement"].pk)  # a new request's user
    assert access.actor_for(staff).enterprise_ids == frozenset()
    assert as_user("cement").get(reverse("accounting:enterprise", args=[world.cement.pk])).status_code == 404
    html = gov.get(reverse("registry:enterprise", args=[world.cement.pk])).content.decode()
    assert '<span class="badge inactive">已停用</span>' in html and "恢复企业" in html
    listed = gov.get(reverse("registry:enterprises") + "?active=0").context["view"]
    assert [o.pk for o in listed.page.object_list] == [world.cement.pk]
    gov.post(reverse("registry:enterprise_active", args=[world.cement.pk]), {"active": "1"})
    world.cement.refresh_from_db()
    assert world.cement.is_active is True
    assert [v.history_change_reason for v in world.cement.history.order_by("history_id")][1:] == ["停用", "恢复"]


def _listed(client: Any, query: str = "") -> list[str]:
    view = client.get(reverse("registry:enterprises") + query).context["view"]
    return [o.name for o in view.page.object_list]


def test_the_list_searches_and_filters_the_jurisdiction(world, as_user):
    gov = as_user("gov")
    cement, steel = world.cement.name, world.steel.name
    assert _listed(gov) == [cement, steel]  # by name; 杭州's enterprise is not the city's
    assert _listed(as_user("district")) == [cement]
    assert sorted(_listed(as_user("admin"))) == sorted([cement, steel, world.other_city_firm.name])
    assert _listed(gov, "?q=钢铁") == [steel]
    assert _listed(gov, "?q=91339901") == [cement]  # the USCC from its start
    assert _listed(gov, "?q=91339902ma27u0ln1w") == [steel]  # the whole code, any case
    assert _listed(gov, "?q=91330102MA2CHHX044") == []  # another jurisdiction's code
    assert _listed(gov, f"?district={world.district_b.code}") == [steel]
    assert _listed(gov, "?district=330102") == [cement, steel]  # not the city's: the filter is dropped
    assert _listed(gov, "?industry=31") == [steel]
    Organisation.objects.filter(pk=world.steel.pk).update(size_class="small", above_scale=False)
    assert _listed(gov, "?size=small") == [steel]
    assert _listed(gov, "?above=1") == [cement]
    assert _listed(gov, "?above=0&size=large") == []
    page = gov.get(reverse("registry:enterprises")).content.decode()
    assert "辖区内登记的企业共 2 家。" in page
    assert "非金属矿物制品业" in page and "黑色金属冶炼和压延加工业" in page  # industries by name


def test_the_list_pages_fifty_at_a_time(world, as_user):
    from stdnum.cn import uscc

    industry = Industry.objects.get(code="30")
    for i in range(51):
        head = f"91339902MA2{i:06d}"
        services.register_enterprise(
            world.users["gov"],
            name=f"分页测试企业{i:02d}",
            uscc=head + uscc.calc_check_digit(head),
            region=world.district_b,
            industry=industry,
        )
    gov = as_user("gov")
    first = gov.get(reverse("registry:enterprises") + "?q=分页测试").context["view"].page
    second = gov.get(reverse("registry:enterprises") + "?q=分页测试&page=2").context["view"].page
    assert (first.paginator.count, len(first.object_list), len(second.object_list)) == (51, 50, 1)
    assert second.object_list[0].name == "分页测试企业50"


@pytest.mark.parametrize("role", ["cement", "bank", "bank2", "verifier", "steel"])
def test_only_governments_and_the_admin_keep_the_register(world, as_user, role):
    client = as_user(role)
    for url in (reverse("registry:enterprises"), reverse("registry:enterprise_new"), reverse("registry:import")):
        assert client.get(url).status_code == 404, (role, url)
    assert client.get(reverse("registry:enterprise_edit", args=[world.cement.pk])).status_code == 404


def test_an_enterprise_reads_its_own_page_and_nothing_else(world, as_user):
    cement = as_user("cement")
    r = cement.get(reverse("registry:enterprise", args=[world.cement.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and world.cement.uscc in html and "示范核查技术服务有限公司" in html
    assert reverse("registry:enterprise_edit", args=[world.cement.pk]) not in html  # read-only
    assert 'id="history"' not in html and "邀请用户" not in html and "停用企业" not in html
    assert cement.get(reverse("registry:enterprise", args=[world.steel.pk])).status_code == 404
    assert (
        cement.post(reverse("registry:enterprise_active", args=[world.cement.pk]), {"active": "0"}).status_code == 404
    )
    world.cement.refresh_from_db()
    assert world.cement.is_active is True
    for role in ("bank", "verifier", "district"):
        org = world.steel if role == "district" else world.cement
        assert as_user(role).get(reverse("registry:enterprise", args=[org.pk])).status_code == 404, role


def test_pages_in_english_name_industries_and_counties(world, as_user):
    gov = as_user("gov", lang="en")
    html = gov.get(reverse("registry:enterprises"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enterprise register" in html and "Manufacture of Non-metallic Mineral Products" in html
    html = gov.get(reverse("registry:enterprise_new"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="3011">Manufacture of Non-metallic Mineral Products › Manufacture of Cement</option>' in html
    html = gov.get(reverse("registry:enterprise", args=[world.cement.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Registered data" in html and "Edit registered data" in html and "Large" in html


def test_the_nav_links_the_register_for_government_only(world, as_user):
    link = f'href="{reverse("registry:enterprises")}"'
    assert link in as_user("gov").get(reverse("accounting:region")).content.decode()
    assert link not in as_user("cement").get(reverse("accounting:enterprise", args=[world.cement.pk])).content.decode()
