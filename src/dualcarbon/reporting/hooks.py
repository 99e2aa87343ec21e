"""Extension points of the reporting app: the apps above it plug in here, so that reporting never imports them
(the layers of docs/architecture.md point up from intake to calculation, never down).

* :data:`submission_submitted` — sent by :func:`dualcarbon.reporting.services.submit` inside its transaction,
  after the version became the current submitted one, with ``submissions`` (a list of
  :class:`~dualcarbon.reporting.models.Submission`) and ``user``. The accounting app subscribes and computes the
  month's account; a receiver that raises rolls the submission back.
* :func:`register_account_reader` — the accounting app registers how a submission's account is read (scoped to
  the user), so that the reporting pages and API can show "your account for this month" after a submit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

submission_submitted = Signal()

#: (user, submission, current_only) → the submission's account entry the user may read, or None
AccountReader = Callable[[Any, Any, bool], Any]
_account_reader: AccountReader | None = None


def register_account_reader(reader: AccountReader) -> None:
    global _account_reader
    _account_reader = reader


def account_of(user: Any, submission: Any, current_only: bool = True) -> Any:
    """The account computed for ``submission`` (its current one, or the latest) that ``user`` may read; None
    when there is none or when no app computes accounts."""
    if submission is None or _account_reader is None:
        return None
    return _account_reader(user, submission, current_only)
