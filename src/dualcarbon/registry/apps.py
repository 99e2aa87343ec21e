from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dualcarbon.registry"
    verbose_name = "登记 Registry"
