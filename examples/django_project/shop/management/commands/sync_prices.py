"""``manage.py sync_prices``: copies the supplier's price list into the database. The fetch
runs under the "api" policy and the save under "database"; every retry is reported on the
command's stderr."""

import typing as t

from django.core.management.base import BaseCommand
from django.db import transaction
from pertinax.integrations.django.commands import retry_step

from ...models import Price
from ...supplier import fetch_prices


class Command(BaseCommand):
    help = "Copies the supplier's prices into the database, retrying while it is busy."

    def handle(self, *args: t.Any, **options: t.Any) -> None:
        prices = self.fetch()
        self.save(prices)
        self.stdout.write(self.style.SUCCESS(f"synced {len(prices)} prices"))

    @retry_step("api")
    def fetch(self) -> dict[str, int]:
        return fetch_prices()

    @retry_step("database")
    def save(self, prices: dict[str, int]) -> None:
        # One transaction, retried whole from outside if the database is locked or drops.
        with transaction.atomic():
            for sku, cents in prices.items():
                Price.objects.update_or_create(sku=sku, defaults={"cents": cents})
