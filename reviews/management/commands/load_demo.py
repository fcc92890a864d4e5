"""Load the demo organizations, people and applications from fixtures/demo.json (idempotent)."""

import json
from base64 import b32encode
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import organization_create, user_signup
from reviews.services import application_submit

DEMO_PATH = Path(__file__).resolve().parents[3] / "fixtures" / "demo.json"


class Command(BaseCommand):
    help = "Load demo data from fixtures/demo.json; running it again changes nothing."

    def handle(self, *args, **options):
        demo = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
        password = demo["password"]
        logins = []
        for person in demo["staff"]:
            user = self._staff_user(person, password)
            role = ", ".join(person["groups"])
            if person.get("totp_key_hex"):
                key = self._authenticator(user, person["totp_key_hex"])
                role += f" (two-factor: add the key {key} to an authenticator app)"
            logins.append((role, user.email))
        for org in demo["organizations"]:
            owner = self._organization(org, password)
            logins.append((f"applicant, owner of {org['name']}", owner.email))
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Sign in with:"))
        for role, email in logins:
            self.stdout.write(f"  {email:<34} {role}")
        self.stdout.write(f"  password for all of them: {password}")

    def _staff_user(self, person: dict, password: str) -> User:
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User.objects.create_user(
                email=person["email"],
                password=password,
                full_name=person["full_name"],
                is_staff=person.get("is_staff", False),
                email_verified_at=timezone.now(),
            )
            user.groups.set(Group.objects.filter(name__in=person["groups"]))
        return user

    def _authenticator(self, user: User, key_hex: str) -> str:
        """Give the demo user a known authenticator key; return it in base32 for the app."""
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "Demo authenticator", "key": key_hex}
        )
        return b32encode(device.bin_key).decode()

    def _organization(self, org: dict, password: str) -> User:
        owner = User.objects.filter(email=org["owner"]["email"]).first()
        if owner is not None:
            return owner
        now = timezone.now()
        with transaction.atomic():
            owner = user_signup(
                email=org["owner"]["email"],
                full_name=org["owner"]["full_name"],
                password=password,
                verified_at=now,
            )
            organization = organization_create(
                actor=owner,
                now=now,
                name=org["name"],
                country=org["country"],
                org_type=org["type"],
                website=org.get("website", ""),
                email_domain=org["owner"]["email"].rsplit("@", 1)[1],
            )
        for application in org["applications"]:
            facts = {"organization": organization.as_party(), **application["facts"]}
            application_submit(
                actor=owner,
                organization=organization,
                role=Role.OWNER,
                title=application["title"],
                facts=facts,
            )
        return owner
