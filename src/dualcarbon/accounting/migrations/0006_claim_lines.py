"""Neutrality claim lines: accounting computes, with lineage, what each declared own zero-carbon generation,
certificate, green-power trade, CCER and forestry sink line can count (the grid factor of the run's choice,
its source and set version), so that rating reads accounts only. Existing runs get theirs (backfill)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0005_methodpolicy_to_registry'),
        ('reporting', '0002_green_claims'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClaimLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=16)),
                ('use', models.CharField(blank=True, max_length=16)),
                ('technology', models.CharField(blank=True, max_length=12)),
                ('origin', models.CharField(blank=True, max_length=12)),
                ('status', models.CharField(blank=True, max_length=8)),
                ('reference', models.CharField(blank=True, max_length=120)),
                ('quantity', models.FloatField()),
                ('unit', models.CharField(max_length=32)),
                ('measure', models.CharField(max_length=8)),
                ('amount', models.FloatField(null=True)),
                ('moved', models.FloatField(default=0.0)),
                ('rule', models.CharField(blank=True, max_length=32)),
                ('countable', models.FloatField()),
                ('grid_factor', models.FloatField(null=True)),
                ('grid_ref', models.CharField(blank=True, max_length=300)),
                ('factor_set', models.CharField(blank=True, max_length=32)),
                ('factor_set_version', models.CharField(blank=True, max_length=64)),
                ('avoided_tco2', models.FloatField()),
                ('generation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claim_lines', to='reporting.generationrecord')),
                ('offset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claim_lines', to='reporting.offsetrecord')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='claim_lines', to='accounting.accountrun')),
            ],
            options={
                'ordering': ['run_id', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('generation__isnull', False), ('offset__isnull', True)), models.Q(('generation__isnull', True), ('offset__isnull', False)), _connector='OR'), name='claimline_one_record')],
            },
        ),
    ]


def backfill(apps, schema_editor):
    """Give every existing run the claim lines it would have produced: the declared generation and offset
    lines of its submission, converted with the grid choice the run recorded (``options["grid"]``), which is
    what the rating read for them until now. Runs without declarations get none."""
    import pandas as pd

    from dualcarbon.engine.claims import claim_lines

    AccountRun = apps.get_model("accounting", "AccountRun")
    ClaimLine = apps.get_model("accounting", "ClaimLine")
    GenerationRecord = apps.get_model("reporting", "GenerationRecord")
    OffsetRecord = apps.get_model("reporting", "OffsetRecord")
    subs = set(GenerationRecord.objects.values_list("submission_id", flat=True))
    subs |= set(OffsetRecord.objects.values_list("submission_id", flat=True))
    if not subs:
        return
    common = ("id", "submission_id", "submission__period__year", "submission__period__month",
              "submission__enterprise__region_id", "quantity", "unit", "reference")  # fmt: skip
    rows: dict = {}
    for r in GenerationRecord.objects.filter(submission_id__in=subs).order_by("submission_id", "line_no").values(
        *common, "technology", "use", "certificates_transferred"
    ):
        moved = r["certificates_transferred"]
        rows.setdefault(r["submission_id"], []).append(
            {"record": f"generation:{r['id']}", "kind": "own_generation", "use": r["use"] or "",
             "technology": r["technology"] or "", "origin": "", "status": "",
             "transferred": float(moved) if moved is not None else None, **_base(r)}  # fmt: skip
        )
    for r in OffsetRecord.objects.filter(submission_id__in=subs).order_by("submission_id", "line_no").values(
        *common, "kind", "origin", "status"
    ):
        rows.setdefault(r["submission_id"], []).append(
            {"record": f"offset:{r['id']}", "kind": r["kind"], "use": "", "technology": "",
             "origin": r["origin"] or "", "status": r["status"] or "", "transferred": None, **_base(r)}  # fmt: skip
        )
    by_grid: dict = {}
    for run in AccountRun.objects.filter(submission_id__in=subs).only("id", "submission_id", "options"):
        grid = str((run.options or {}).get("grid") or "mee:national")
        for rec in rows.get(run.submission_id, []):
            by_grid.setdefault(grid, []).append({**rec, "entity": str(run.pk)})
    for grid, recs in by_grid.items():
        frame = claim_lines(pd.DataFrame.from_records(recs), grid)
        frame = frame.astype(object).where(pd.notna(frame), None)
        objs = []
        for rec in frame.to_dict("records"):
            kind, _sep, pk = str(rec["record"]).partition(":")
            objs.append(
                ClaimLine(
                    run_id=int(rec["entity"]),
                    generation_id=int(pk) if kind == "generation" else None,
                    offset_id=int(pk) if kind == "offset" else None,
                    kind=rec["kind"], use=rec["use"] or "", technology=rec["technology"] or "",
                    origin=rec["origin"] or "", status=rec["status"] or "", reference=(rec["reference"] or "")[:120],
                    quantity=float(rec["quantity"]), unit=rec["unit"] or "", measure=rec["measure"],
                    amount=rec["amount"], moved=float(rec["moved"] or 0.0), rule=rec["rule"] or "",
                    countable=float(rec["countable"] or 0.0), grid_factor=rec["grid_factor"],
                    grid_ref=(rec["grid_ref"] or "")[:300], factor_set=rec["grid_factor_set"] or "",
                    factor_set_version=rec["grid_factor_set_version"] or "",
                    avoided_tco2=float(rec["avoided_tco2"] or 0.0),
                )  # fmt: skip
            )
        ClaimLine.objects.bulk_create(objs, batch_size=5000)


def _base(r):
    return {
        "year": int(r["submission__period__year"]),
        "month": int(r["submission__period__month"]),
        "region": r["submission__enterprise__region_id"] or "",
        "quantity": float(r["quantity"]),
        "unit": r["unit"],
        "reference": r["reference"] or "",
    }


Migration.operations.append(migrations.RunPython(backfill, migrations.RunPython.noop))
