from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "dualcarbon.assets"
    verbose_name = _("碳资产与排污权")

    def ready(self) -> None:
        from dualcarbon.reporting.hooks import submission_submitted

        from . import compliance

        # the compliance link: a submitted month is checked against the rights held (docs/assets.md § Compliance)
        submission_submitted.connect(compliance.on_submitted, dispatch_uid="assets-compliance-discharge")
