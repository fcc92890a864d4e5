"""Export a policy version as a policy document that `assess --policy PATH` accepts."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.models import PolicyVersion
from reviews.policy import policy_document, published_policy
from reviews.seed import load_seed_document


class Command(BaseCommand):
    help = (
        "Write the published policy version, or the given version of the seed policy, "
        "as a JSON policy document."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version names a policy version; it replaces Django's "show my version".
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--version", help="A version of the seed policy, e.g. 2024.05.1 (default: published)."
        )
        parser.add_argument("--output", metavar="PATH", help="Write here instead of stdout.")

    def handle(self, *args, **options):
        version = _policy_version(options["version"])
        text = json.dumps(policy_document(version), indent=2, ensure_ascii=False) + "\n"
        if options["output"] is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["output"]).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}") from None
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(f"Wrote {version} to {options['output']}."))


def _policy_version(name: str | None) -> PolicyVersion:
    """Return the named version of the seed policy, or the published version."""
    if name is None:
        try:
            return published_policy()[0]
        except PolicyVersion.DoesNotExist as error:
            raise CommandError(str(error)) from None
    key = load_seed_document()["policy"]
    versions = PolicyVersion.objects.select_related("policy")
    version = versions.filter(policy__key=key, version=name).first()
    if version is None:
        known = ", ".join(versions.filter(policy__key=key).values_list("version", flat=True))
        raise CommandError(f"Policy {key} has no version {name!r}; it has: {known or 'none'}.")
    return version
