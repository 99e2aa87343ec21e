from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "dualcarbon.monitoring"
    verbose_name = _("区域监测")
    default_auto_field = "django.db.models.BigAutoField"
