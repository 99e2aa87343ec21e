"""Signals the rating services send, so that the apps above (policy matching, finance) keep their derived data in
step without rating importing them (the layers of docs/architecture.md).

``ratings_stored``: sent by the rating services inside their transaction, after a batch of results was stored
(a region's rating run or one enterprise's re-rating after an appeal), with ``results`` (the new current
:class:`~dualcarbon.rating.models.RatingResult` rows), ``year`` and ``month`` (0: the whole year). A receiver that
raises rolls the rating back.

``facts_changed``: sent by an app above that answers one of the account facts (``rating.facts``; finance answers
``certification``) when that fact changed for some enterprises, with ``enterprise_ids`` and ``fact``, inside the
changing transaction; policy matches those enterprises again.
"""

from __future__ import annotations

from django.dispatch import Signal

ratings_stored = Signal()
facts_changed = Signal()
