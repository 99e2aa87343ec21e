from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "dualcarbon.finance"
    verbose_name = _("碳金融")

    def ready(self) -> None:
        # the certification account fact (rating.facts) is answered here: rating imports nothing of finance
        from dualcarbon.rating import facts

        from . import certification

        facts.register_certification(certification.certification_facts)
