"""Effective-dated configuration: one resolver for every "which version applies on this day, here" question.

A configuration row (a method policy, a region's rating scheme choice, a scheme version; later policy packages,
fee standards, product terms) belongs to a *series* (the fields that name what it configures: a region, a
scheme code …) and is in force from ``valid_from`` (inclusive) until ``valid_to`` (exclusive; empty = until
further notice). Within a series the periods never overlap:

* PostgreSQL enforces it with an exclusion constraint (``daterange(valid_from, valid_to) WITH &&`` and the
  series columns ``WITH =``, :func:`no_overlap_operations`);
* everywhere, model validation (:meth:`EffectiveDated.clean`, which the admin and :func:`supersede` run)
  refuses an overlapping row with a message naming the row it overlaps.

:func:`supersede` adds a new version and closes the open one in one transaction. :func:`resolve` picks the row
in force on a day; with ``region_code`` the most specific region containing it wins (a county's row over its
city's over its province's).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError
from django.db import migrations, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

T = TypeVar("T", bound="EffectiveDated")


class EffectiveDated(models.Model):
    """Abstract base: ``valid_from`` / ``valid_to`` and the no-overlap rule within a series."""

    #: the fields naming one series (rows of one series never overlap in time)
    series_fields: ClassVar[tuple[str, ...]] = ()

    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("不含当日；留空表示长期有效，直至被新版本取代")
    )

    class Meta:
        abstract = True

    def in_force_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def series(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.series_fields:
            f = self._meta.get_field(name)
            attname = getattr(f, "attname", name)
            out[attname] = getattr(self, attname)
        return out

    def overlapping(self) -> models.QuerySet[Any]:
        """Other rows of the series whose period overlaps this one's."""
        qs = type(self)._default_manager.filter(**self.series())
        if self.pk is not None:
            qs = qs.exclude(pk=self.pk)
        if self.valid_to is not None:
            qs = qs.filter(valid_from__lt=self.valid_to)
        return qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from))

    def clean(self) -> None:
        super().clean()
        if self.valid_from is None:
            return
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("失效日期不能早于生效日期")})
        if any(v is None for v in self.series().values()):
            return
        other = self.overlapping().order_by("valid_from").first()
        if other is not None:
            until = other.valid_to.isoformat() if other.valid_to else _("长期")
            raise ValidationError(
                {
                    "valid_from": _(
                        "有效期与已有版本“%(other)s”（%(start)s 至 %(end)s）重叠；请先为该版本设定失效日期，"
                        "或通过“发布新版本”自动衔接"
                    )
                    % {"other": str(other), "start": other.valid_from.isoformat(), "end": until}
                }
            )


def in_force_q(day: datetime.date, prefix: str = "") -> Q:
    """A Q selecting the rows in force on ``day`` (``prefix``: a relation path such as ``scheme__``)."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def resolve(
    rows: Iterable[T],
    day: datetime.date,
    *,
    region_code: str | None = None,
    prefix_of: Callable[[T], str] | None = None,
    tie: Callable[[T], Any] | None = None,
) -> T | None:
    """The row in force on ``day``; with ``region_code``, among the rows whose region contains it, the most
    specific region's (``prefix_of(row)``: the row's region code prefix). ``tie`` orders rows that are equally
    specific (default: the later ``valid_from``); within one series at most one row is in force."""
    best: T | None = None
    best_key: tuple[Any, ...] = ()
    for row in rows:
        if not row.in_force_on(day):
            continue
        length = 0
        if region_code is not None:
            prefix = prefix_of(row) if prefix_of is not None else ""
            if not str(region_code).startswith(prefix):
                continue
            length = len(prefix)
        key = (length, tie(row) if tie is not None else row.valid_from)
        if best is None or key > best_key:
            best, best_key = row, key
    return best


def in_force_by_series(rows: Iterable[T], day: datetime.date) -> list[T]:
    """Per series, the row in force on ``day`` (rows not in force are left out)."""
    out: dict[tuple[Any, ...], T] = {}
    for row in rows:
        if row.in_force_on(day):
            key = tuple(row.series().values())
            cur = out.get(key)
            if cur is None or row.valid_from > cur.valid_from:
                out[key] = row
    return list(out.values())


@transaction.atomic
def supersede(model: type[T], valid_from: datetime.date, **fields: Any) -> T:
    """Publish a new version of a series from ``valid_from`` on: the version open on that day (if any) ends the
    day before (its ``valid_to`` becomes ``valid_from``), then the new row is validated and saved.

    A version that starts later than ``valid_from`` is not touched: the new row then overlaps it and is refused
    (the caller gives ``valid_to``)."""
    row = model(valid_from=valid_from, **fields)
    series = row.series()
    open_rows = list(
        model._default_manager.select_for_update()
        .filter(**series)
        .filter(valid_from__lt=valid_from)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
    )
    for old in open_rows:
        old.valid_to = valid_from
        old.save(update_fields=["valid_to"])
    row.full_clean()
    row.save()
    return row


# --------------------------------------------------------------------------- migrations


def close_series_operation(app_label: str, model_name: str, series: Sequence[str], order: Sequence[str] = ()) -> Any:
    """A data migration: give every row the ``valid_to`` its successor implies (the next ``valid_from`` of the
    same series), so rows written under the old "latest valid_from wins" rule keep their meaning."""

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for row in model.objects.order_by("valid_from", *order, "pk"):
            groups.setdefault(tuple(getattr(row, f) for f in series), []).append(row)
        for rows in groups.values():
            for cur, nxt in itertools.pairwise(rows):
                cur.valid_to = nxt.valid_from
                cur.save(update_fields=["valid_to"])

    return migrations.RunPython(forward, migrations.RunPython.noop)


def no_overlap_operations(table: str, series_columns: Sequence[str]) -> list[Any]:
    """Migration operations adding the PostgreSQL exclusion constraint ``<table>_no_overlap`` (nothing on
    SQLite, where model validation holds the rule)."""
    name = f"{table}_no_overlap"
    cols = ", ".join(f"{c} WITH =" for c in series_columns)
    create = (
        f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
        f"({cols}, daterange(valid_from, valid_to, '[)') WITH &&)"
    )
    drop = f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            schema_editor.execute(create)

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop)

    return [migrations.RunPython(forward, backward)]


def valid_to_check(name: str) -> models.CheckConstraint:
    """The CHECK every effective-dated table carries: an end, when given, is not before the start."""
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name=name
    )
