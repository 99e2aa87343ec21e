from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "dualcarbon.accounting"
