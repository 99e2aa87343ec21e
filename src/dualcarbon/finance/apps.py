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

        # KPI-linked loans are evaluated when accounts or grades change: the lower apps announce it (as for policy)
        from dualcarbon.accounting import signals as accounting_signals
        from dualcarbon.rating import signals as rating_signals

        from . import kpi

        accounting_signals.accounts_computed.connect(kpi.on_accounts_computed, dispatch_uid="finance-kpi-on-accounts")
        rating_signals.ratings_stored.connect(kpi.on_ratings_stored, dispatch_uid="finance-kpi-on-ratings")
