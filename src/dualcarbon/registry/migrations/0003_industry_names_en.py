"""Fill the English names of GB/T 4754-2017 industries already in the database from the reference library
(divisions and ETS classes had none). Names already set are kept."""

from typing import Any

from django.db import migrations


def fill(apps: Any, schema_editor: Any) -> None:
    from dualcarbon.engine.reference import industry_names

    Industry = apps.get_model("registry", "Industry")
    for code, (_zh, en) in industry_names().items():
        if en:
            Industry.objects.filter(code=code, name_en="").update(name_en=en[:160])


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_apitoken")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
