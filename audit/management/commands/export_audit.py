"""Export audit events (JSON lines or CSV) for an organization and a date range."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.export import csv_lines, events_for, jsonl_lines


def _day(value: str, *, end: bool = False) -> datetime:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.") from None
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment, timezone.get_default_timezone())


class Command(BaseCommand):
    help = (
        "Export audit events with their hashes; check a JSON lines export offline with "
        "scripts/verify_audit_export.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--organization", type=int, help="Only this organization's events.")
        parser.add_argument("--since", help="First day, YYYY-MM-DD (inclusive).")
        parser.add_argument("--until", help="Last day, YYYY-MM-DD (inclusive).")
        parser.add_argument("--output", help="A file to write (default: standard output).")

    def handle(self, *args, **options):
        rows = events_for(
            organization_id=options["organization"],
            since=_day(options["since"]) if options["since"] else None,
            until=_day(options["until"], end=True) if options["until"] else None,
        )
        lines = jsonl_lines(rows) if options["format"] == "jsonl" else csv_lines(rows)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(lines)
        else:
            try:
                for line in lines:
                    self.stdout.write(line, ending="")
            except BrokenPipeError:  # the reader went away (`| head`): stop quietly
                return
