from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "dualcarbon.planning"
    verbose_name = _("减排规划")
