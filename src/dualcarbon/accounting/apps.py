from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "dualcarbon.accounting"

    def ready(self) -> None:
        # intake hands a submitted month to calculation by a signal: reporting never imports accounting
        from dualcarbon.reporting import hooks

        from . import services

        hooks.submission_submitted.connect(services.on_submitted, dispatch_uid="accounting-compute-on-submit")
        hooks.register_account_reader(services.account_for)
