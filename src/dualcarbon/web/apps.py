from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dualcarbon.web"

    def ready(self) -> None:
        from .log import install_record_factory

        install_record_factory()
