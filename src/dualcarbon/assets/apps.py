from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "dualcarbon.assets"
    verbose_name = _("碳资产与排污权")
