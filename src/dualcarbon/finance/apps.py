from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "dualcarbon.finance"
    verbose_name = _("碳金融")
