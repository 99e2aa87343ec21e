"""Rating schemes and regions' scheme choices become effective-dated periods (registry.effective): a
``valid_to`` (exclusive; empty = until further notice) filled for existing rows from the next row of the same
series (a scheme's code, a choice's region), a CHECK that it is not before ``valid_from``, and on PostgreSQL an
exclusion constraint: two rows of one series never overlap."""

from django.db import migrations, models

from dualcarbon.registry.effective import close_series_operation, no_overlap_operations, valid_to_check

def valid_to() -> models.DateField:
    return models.DateField(
        blank=True, help_text="不含当日；留空表示长期有效，直至被新版本取代", null=True, verbose_name="失效日期"
    )


class Migration(migrations.Migration):
    dependencies = [("rating", "0002_seed_schemes"), ("registry", "0005_methodpolicy_effective_period")]

    operations = [
        *(
            migrations.AddField(model_name=model, name="valid_to", field=valid_to())
            for model in ("ratingscheme", "historicalratingscheme", "regionratingchoice", "historicalregionratingchoice")
        ),
        close_series_operation("rating", "RatingScheme", ("code",), order=("version",)),
        close_series_operation("rating", "RegionRatingChoice", ("region_id",)),
        migrations.AddConstraint(model_name="ratingscheme", constraint=valid_to_check("scheme_valid_to")),
        migrations.AddConstraint(model_name="regionratingchoice", constraint=valid_to_check("rating_choice_valid_to")),
        *no_overlap_operations("rating_ratingscheme", ("code",)),
        *no_overlap_operations("rating_regionratingchoice", ("region_id",)),
    ]
