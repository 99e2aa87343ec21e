from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "dualcarbon.demo"
    verbose_name = "示范区域 Demo region"
