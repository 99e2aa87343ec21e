from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "dualcarbon.accounting"
    verbose_name = _("碳排放核算")

    def ready(self) -> None:
        # intake hands a submitted month to calculation by a signal: reporting never imports accounting
        from dualcarbon.reporting import hooks

        from . import services

        hooks.submission_submitted.connect(services.on_submitted, dispatch_uid="accounting-compute-on-submit")
        hooks.register_account_reader(services.account_for)

        # one claim per reduction (claims_register): a month's retired offsets are checked against the register when
        # it is validated and recorded in it when it is submitted
        from dualcarbon.reporting import validators

        from . import claims_register

        validators.validator("claim_register", validators.ERROR)(claims_register.declared_elsewhere)
