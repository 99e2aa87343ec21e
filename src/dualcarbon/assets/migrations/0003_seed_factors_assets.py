"""The six pollutant factors managed by discharge rights (化学需氧量、氨氮、二氧化硫、氮氧化物、颗粒物、挥发性有机物;
docs/assets.md § Factors gives their sources) and the assets of the ledger: one discharge right per factor (counted
in kilograms per year), the national ETS allowance, CCER and the green electricity certificate."""

from django.db import migrations

FACTORS = [
    ("COD", "化学需氧量", "Chemical oxygen demand (COD)"),
    ("NH3N", "氨氮", "Ammonia nitrogen (NH3-N)"),
    ("SO2", "二氧化硫", "Sulphur dioxide (SO2)"),
    ("NOX", "氮氧化物", "Nitrogen oxides (NOx)"),
    ("PM", "颗粒物", "Particulate matter"),
    ("VOCS", "挥发性有机物", "Volatile organic compounds (VOCs)"),
]
OTHER_ASSETS = [
    ("CEA", "allowance", "全国碳排放权配额", "National ETS allowance (CEA)", "tCO2e", False),
    ("CCER", "ccer", "核证自愿减排量", "China Certified Emission Reduction (CCER)", "tCO2e", True),
    ("GEC", "green_certificate", "绿色电力证书", "Green electricity certificate (GEC)", "MWh", True),
]


def seed(apps, schema_editor):
    Factor = apps.get_model("assets", "Factor")
    Asset = apps.get_model("assets", "Asset")
    for position, (code, zh, en) in enumerate(FACTORS, start=1):
        factor = Factor.objects.create(code=code, name_zh=zh, name_en=en, position=position)
        Asset.objects.create(
            code=f"DR-{code}",
            kind="discharge_right",
            factor=factor,
            name_zh=f"{zh}排污权",
            name_en=f"Discharge right: {en}",
            unit="kg/a",
        )
    for code, kind, zh, en, unit, serial in OTHER_ASSETS:
        Asset.objects.create(code=code, kind=kind, name_zh=zh, name_en=en, unit=unit, serial_numbered=serial)


def unseed(apps, schema_editor):
    # plain DELETEs: the ORM's cascade collector mixes the historical models of two states when every app is being
    # migrated back at once (tests/registry/test_access_log_chain.py migrates the whole project back and forth)
    for model in ("Asset", "Factor"):
        schema_editor.execute(f"DELETE FROM {apps.get_model('assets', model)._meta.db_table}")


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_ledger_guards")]

    operations = [migrations.RunPython(seed, unseed)]
