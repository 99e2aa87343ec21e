from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "dualcarbon.reporting"
    verbose_name = _("数据报送")
