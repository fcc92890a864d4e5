"""Create a read-only API key for an organization (on behalf of its owner) and print it once."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Membership, Role
from entitlements.credentials import api_key_create


class Command(BaseCommand):
    help = "Create an organization's read-only API key (shown once), as one of its owners."

    def add_arguments(self, parser):
        parser.add_argument("owner_email")
        parser.add_argument("name")

    def handle(self, *args, owner_email: str, name: str, **options):
        membership = (
            Membership.objects.select_related("organization", "user")
            .filter(user__email__iexact=owner_email, role__in=[Role.OWNER, Role.ADMIN])
            .first()
        )
        if membership is None:
            raise CommandError(f"{owner_email} is not an owner or admin of an organization.")
        key, secret = api_key_create(
            actor=membership.user, membership=membership, name=name, now=timezone.now()
        )
        self.stdout.write(
            f"API key {key.prefix} for {membership.organization} created. "
            "Store it now; it is not shown again:"
        )
        self.stdout.write(secret)
