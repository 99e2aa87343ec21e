"""The Django admin shows the bank access log but offers no way to add, edit or delete a row."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from dualcarbon.registry.models import AccessLog

pytestmark = pytest.mark.django_db


def test_access_log_admin_is_read_only(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.cn", "x")
    request = RequestFactory().get("/admin/registry/accesslog/")
    request.user = superuser
    model_admin = admin.site._registry[AccessLog]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
