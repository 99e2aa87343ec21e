from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingConfig(AppConfig):
    name = "dualcarbon.rating"
    verbose_name = _("碳效评级")
