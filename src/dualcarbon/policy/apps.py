from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "dualcarbon.policy"
    verbose_name = _("政策配套")

    def ready(self) -> None:
        # matching reruns when accounts or grades change: the lower apps announce it, they never import policy
        from dualcarbon.accounting import signals as accounting_signals
        from dualcarbon.rating import signals as rating_signals

        from . import services

        accounting_signals.accounts_computed.connect(services.on_accounts_computed, dispatch_uid="policy-on-accounts")
        rating_signals.ratings_stored.connect(services.on_ratings_stored, dispatch_uid="policy-on-ratings")
        rating_signals.facts_changed.connect(services.on_facts_changed, dispatch_uid="policy-on-facts")
