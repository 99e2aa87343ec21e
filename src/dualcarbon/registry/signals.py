"""Signals of the registry layer that any app may send and any app may receive, so that sibling apps of the use
layer (monitoring, finance, planning, policy, assets) can act on each other's events without importing each other
(the layers of docs/architecture.md).

``alert_requested``: an app that decides itself that something is wrong for the region's government (assets: a
pollutant discharge above the rights held, an ETS shortfall or a late surrender; the meter-data validator)
asks for one of monitoring's alerts. Send it with ``sender`` the app's label and the keyword arguments of
:func:`dualcarbon.monitoring.services.raise_alert`: ``kind`` (one of monitoring's ``AlertRule.Kind`` values
raised from outside), ``subject`` (a key the sender makes unique, e.g. ``obligation:42``), ``region_code``,
``period`` (``YYYY`` or ``YYYY-MM``), ``message_zh``, ``message_en``, ``evidence`` (a JSON-able dict: the
figures and where they came from), optionally ``recipients`` (users who must act) and ``severity``.
Monitoring's receiver raises the alert (idempotently: the same kind and subject give the same alert) and returns
``(alert, created)``; :func:`request_alert` hands that back to the sender, or ``None`` when no app answered
(monitoring not installed). A receiver that raises rolls the sender's transaction back.
"""

from __future__ import annotations

from typing import Any, cast

from django.dispatch import Signal

alert_requested = Signal()


def request_alert(sender: str, **kwargs: Any) -> tuple[Any, bool] | None:
    """Ask for an alert (see the module's text); return ``(alert, created)`` from the receiver, or ``None``."""
    for _receiver, response in alert_requested.send(sender=sender, **kwargs):
        if response is not None:
            return cast(tuple[Any, bool], response)
    return None
