"""Verify the audit trail: exit 0 with "N events verified", or 1 with the first broken link."""

import sys

from django.core.management.base import BaseCommand

from audit.verify import verify_trail


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and check it against the signed checkpoints."

    def add_arguments(self, parser):
        parser.add_argument(
            "--deep",
            action="store_true",
            help="Re-verify every column, not only the hashed content the database ties "
            "them to (slower; what happens anyway when that constraint is missing).",
        )

    def handle(self, *args, **options):
        report = verify_trail(deep=options["deep"])
        if report.ok:
            self.stdout.write(report.message)
            return
        self.stderr.write(report.message)
        sys.exit(1)
