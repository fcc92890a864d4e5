"""Create a service token for one of the provider's systems and print it once."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from entitlements.credentials import service_token_create


class Command(BaseCommand):
    help = "Create a service token (shown once) for a provider system that checks entitlements."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Which system will use it, e.g. 'face-api-eu'.")

    def handle(self, *args, name: str, **options):
        token, secret = service_token_create(actor=None, name=name, now=timezone.now())
        self.stdout.write(
            f"Service token {token.prefix} created. Store it now; it is not shown again:"
        )
        self.stdout.write(secret)
