"""The programme's structure from its pages (docs/programme.md § Forms): the coordinating groups create and change
groups, measures and tasks with located errors (nothing written on a bad form), others are refused; a task's
evidence is downloaded by whoever reads the task and by nobody else."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dualcarbon.programme import services
from dualcarbon.programme.models import Group, Measure, Task
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def _c(pw, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    return login(c, pw.users[who])


def test_groups_are_created_and_changed_from_the_page_with_located_errors(pw):
    url = f"/programme/{pw.programme.pk}/groups/"
    gov = _c(pw, "gov")
    bad = {"code": "energy", "kind": "special", "name_zh": "能源", "lead_department": "", "localities": "339901 110101"}
    r = gov.post(url, bad)
    page = r.content.decode()
    assert (
        r.status_code == 422
        and "lead_department：" in page
        and "localities：属地“110101”不在本方案的城市范围内" in page
    )
    assert not Group.objects.filter(programme=pw.programme, code="energy").exists()
    r = gov.post(url, {**bad, "code": "industry"})  # a code already used
    assert r.status_code == 422 and "code：编号“industry”在本方案中已被使用" in r.content.decode()
    r = gov.post(url, {**bad, "lead_department": "市发展和改革委员会", "localities": "339901"})
    assert r.status_code == 302
    g = Group.objects.get(programme=pw.programme, code="energy")
    assert list(g.localities.values_list("code", flat=True)) == ["339901"]
    form = gov.get(url + "?edit=energy").content.decode()
    assert 'value="市发展和改革委员会"' in form
    r = gov.post(
        url, {**bad, "original": "energy", "name_zh": "能源组", "lead_department": "市能源局", "localities": ""}
    )
    assert r.status_code == 302 and Group.objects.get(pk=g.pk).name_zh == "能源组"
    en = _c(pw, "gov", "en").post(url, {**bad, "kind": "nonsense", "lead_department": "x", "localities": ""})
    assert en.status_code == 422 and "kind：" in en.content.decode() and "is not a valid choice" in en.content.decode()
    for who, code in (("industry", 403), ("district", 403), ("cement", 404), ("bank", 404)):
        assert _c(pw, who).post(url, {**bad, "code": "x1", "lead_department": "y"}).status_code == code, who
    assert not Group.objects.filter(code="x1").exists()


def test_the_measure_tree_is_kept_from_the_page_and_a_node_is_never_its_own_ancestor(pw):
    url = f"/programme/{pw.programme.pk}/measures/"
    gov = _c(pw, "gov")
    r = gov.post(url, {"code": "五降-3", "name_zh": "建筑降碳", "parent": "五降", "group": "nope"})
    assert r.status_code == 422 and "group：本方案没有编号为“nope”的记录" in r.content.decode()
    assert (
        gov.post(url, {"code": "五降-3", "name_zh": "建筑降碳", "parent": "五降", "group": "industry"}).status_code
        == 302
    )
    m = Measure.objects.get(programme=pw.programme, code="五降-3")
    assert m.parent.code == "五降" and m.group.code == "industry"
    r = gov.post(url, {"original": "五降", "code": "五降", "name_zh": "五个领域降碳", "parent": "五降-3"})
    assert r.status_code == 422 and "parent：上级举措不能是本举措或其下级" in r.content.decode()
    assert Measure.objects.get(programme=pw.programme, code="五降").parent is None


def test_tasks_are_assigned_and_changed_from_the_page(pw):
    url = f"/programme/{pw.programme.pk}/tasks/new/"
    gov = _c(pw, "gov")
    fields = {
        "code": "T-09",
        "kind": "task",
        "title_zh": "建成工业碳效码平台",
        "group": "industry",
        "locality": "339901",
        "measure": "五降-1",
        "year": "2026",
        "start_date": "2026-01-01",
        "due_date": "2025-12-31",
    }
    r = gov.post(url, fields)
    assert r.status_code == 422 and "due_date：完成时限不能早于开始日期" in r.content.decode()
    r = gov.post(url, {**fields, "due_date": "2026-13-01", "year": "2019", "locality": "330102"})
    page = r.content.decode()
    assert "due_date：日期“2026-13-01”不是 YYYY-MM-DD" in page and "year：年度 2019 不在方案的 2024–2026 年内" in page
    assert "locality：属地“330102”不在本方案的城市范围内" in page
    assert not Task.objects.filter(code="T-09").exists()
    assert gov.post(url, {**fields, "due_date": "2026-06-30"}).status_code == 302
    t = Task.objects.get(programme=pw.programme, code="T-09")
    assert (t.group.code, t.locality_id, t.measure.code, str(t.due_date)) == (
        "industry",
        "339901",
        "五降-1",
        "2026-06-30",
    )
    r = gov.post(url, {**fields, "original": "T-09", "due_date": "2026-09-30", "group": "transport"})
    assert r.status_code == 302 and Task.objects.get(pk=t.pk).group.code == "transport"
    assert _c(pw, "industry").post(url, {**fields, "code": "T-10", "due_date": "2026-06-30"}).status_code == 403


def test_a_tasks_evidence_is_downloaded_by_its_readers_only(pw):
    t = pw.tasks["T-01"]
    report = services.report_progress(
        pw.users["industry"], t, 70, "并网调试完成", SimpleUploadedFile("并网验收.pdf", b"%PDF-1.4 evidence")
    )
    url = f"/programme/task/{t.pk}/evidence/?report={report.pk}"
    page = _c(pw, "industry").get(f"/programme/task/{t.pk}/").content.decode()
    assert f"/programme/task/{t.pk}/evidence/?report={report.pk}" in page
    for who in ("industry", "gov", "district", "admin"):  # its group, the leading group, its locality, the admin
        r = _c(pw, who).get(url)
        assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4 evidence", who
        assert "attachment" in r["Content-Disposition"]
    for who in ("transport", "cement", "bank", "verifier"):
        assert _c(pw, who).get(url).status_code == 404, who
    other = pw.tasks["T-02"]  # the report is not another task's
    assert _c(pw, "gov").get(f"/programme/task/{other.pk}/evidence/?report={report.pk}").status_code == 404
