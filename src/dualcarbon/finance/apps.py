from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "dualcarbon.finance"
    verbose_name = "碳金融"
