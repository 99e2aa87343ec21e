"""Signals the accounting services send, so that apps downstream can keep derived data in step without
accounting importing them (the arrows of docs/ARCHITECTURE point away from accounting).

``accounts_computed``: sent by :func:`dualcarbon.accounting.services.compute` inside its transaction, after
the runs, lines and entries of a batch are stored, with ``submissions`` (the computed
:class:`~dualcarbon.reporting.models.Submission` objects) and ``reason`` (``AccountRun.Reason``). A receiver
that raises rolls the whole computation back.
"""

from __future__ import annotations

from django.dispatch import Signal

accounts_computed = Signal()
