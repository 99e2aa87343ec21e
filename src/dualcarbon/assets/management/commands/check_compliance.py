"""Check compliance: ``dualcarbon check_compliance [--region CODE] [--year YYYY]``.

Compares each enterprise's year-to-date reported pollutant discharge with the discharge rights it holds for the year
and raises ``pollutant_excess`` for each factor above them; raises ``ets_shortfall`` and ``ets_late`` for the ETS
obligations past their deadline (docs/assets.md § Compliance). Idempotent: a rerun finds the alerts already raised.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.assets import compliance
from dualcarbon.registry.models import Region


def _both(message: Any, **params: Any) -> str:
    texts = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            texts.append(str(message) % {k: str(v) for k, v in params.items()})
    return " / ".join(texts)


class Command(BaseCommand):
    help = (
        "排污权与配额清缴合规检查：累计排放超出持有排污权、清缴缺口与逾期清缴时发出预警"
        " / compliance check: discharge above the rights held, ETS shortfall and late surrender raise alerts"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="region code (its prefix covers the regions inside it)")
        parser.add_argument("--year", type=int, default=None, help="year (default: the last with reported discharge)")

    def handle(self, *args: Any, **opts: Any) -> None:
        prefix = ""
        if opts["region"]:
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(_both(_("地区代码不存在：%(code)s"), code=opts["region"]))
            prefix = region.prefix
        year = opts["year"]
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError(_both(_("年度须为四位年份：%(v)s"), v=year))
        run = compliance.check_region(prefix, year)
        self.stdout.write(
            _both(
                _(
                    "已检查 %(orgs)s 家企业的排污权：%(excess)s 项超出（新预警 %(new)s）；"
                    "%(obs)s 项已过截止日的清缴义务：%(ets)s 项预警（新预警 %(ets_new)s）"
                ),
                orgs=run.enterprises,
                excess=run.excess_alerts,
                new=run.excess_new,
                obs=run.obligations,
                ets=run.ets_alerts,
                ets_new=run.ets_new,
            )
        )
