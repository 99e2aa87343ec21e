from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "dualcarbon.monitoring"
    verbose_name = _("区域监测")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Keep the regional summary in step with the accounts, the submissions' status and the enterprises."""
        from django.db.models.signals import post_save

        from dualcarbon.accounting.signals import accounts_computed
        from dualcarbon.registry.models import Organisation
        from dualcarbon.registry.signals import alert_requested
        from dualcarbon.reporting.models import Submission

        from . import aggregates

        alert_requested.connect(on_alert_requested, dispatch_uid="monitoring-alert-requested")
        accounts_computed.connect(aggregates.on_accounts_computed, dispatch_uid="monitoring-summary-accounts")
        post_save.connect(aggregates.on_submission_saved, sender=Submission, dispatch_uid="monitoring-summary-status")
        post_save.connect(
            aggregates.on_organisation_saved, sender=Organisation, dispatch_uid="monitoring-summary-enterprise"
        )


def on_alert_requested(sender: object, **kwargs: object) -> object:
    """Raise the alert a sibling app asked for through ``registry.signals.alert_requested``."""
    from .evaluators import raise_alert

    kwargs.pop("signal", None)
    return raise_alert(**kwargs)  # type: ignore[arg-type]
