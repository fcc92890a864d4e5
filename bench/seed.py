"""Seed a large, realistic Gatehouse on PostgreSQL for the benchmarks at scale.

Run by hand from the repository root, never by the test suite:

    .venv/bin/python bench/seed.py                      # 1,000 orgs, 100,000 apps, 1M events
    .venv/bin/python bench/seed.py --scale 0.05         # a twentieth of that, to try things
    .venv/bin/python bench/seed.py --applications 5000 --events 50000

It drops and recreates its own database (`--database-url`, default
postgres://postgres@127.0.0.1:5432/gatehouse_bench_scale; the name must contain "bench"),
migrates, and fills it through bulk paths only (COPY, with every column built from the
models' own field list, so a new column with a default keeps working):

- staff: 20 reviewers, 5 senior reviewers and 2 policy staff (one password hash for all);
- 1,000 organizations in 14 countries and all party types, each with an owner and a member;
- 100,000 applications across every status, in proportions a few years of intake would
  leave (a third open, half decided, the rest drafts, withdrawn or expired), with facts
  drawn from the whole vocabulary; every submitted application is assessed by the real
  engine under the published seed policy (`evaluate`, full result stored), so outcome,
  score, rules and the queue's denormalised columns are what the app would have written;
  open ones carry SLA due dates, a share are assigned; decided ones carry their review
  action, information_requested ones their open question;
- 1,000,000 audit events with a valid hash chain, made by `bench/audit.py`'s
  `EventFactory` (imported, not copied) over these users and organizations, hashed as
  `audit_record` hashes and COPY'd by chunks, with a signed checkpoint after each.

Then VACUUM (ANALYZE). `bench/pages.py` and `bench/reassess.py` use the database it leaves.
Options: `--scale F` multiplies the three counts; `--organizations`, `--applications`,
`--events` set one exactly; `--seed N` for another random draw.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import chain, islice
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit import (  # noqa: E402 - the path is set just above
    NOTES,
    TITLES,
    Cast,
    EventFactory,
    recreate_database,
    setup_django,
)

DOC = ROOT / "docs" / "performance.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse_bench_scale"
ORGANIZATIONS, APPLICATIONS, EVENTS = 1_000, 100_000, 1_000_000
CHUNK = 10_000
EVENT_CHUNK = 100_000
# The seeded world ends here; applications were filed over the three years before.
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a benchmark database

# (status, share): about a third open, half decided.
STATUSES = [
    ("draft", 0.05),
    ("submitted", 0.01),
    ("in_review", 0.22),
    ("info_requested", 0.05),
    ("escalated", 0.04),
    ("approved", 0.38),
    ("denied", 0.13),
    ("withdrawn", 0.05),
    ("expired", 0.07),
]
COUNTRIES = ["GB", "FR", "DE", "JP", "ES", "DK", "US", "NL", "IT", "SE", "PL", "IE", "CA", "BR"]
WORDS = ["Nordic", "Atlas", "Helix", "Orbit", "Lumen", "Vertex", "Quill", "Ember", "Cobalt"]
SUFFIXES = ["Ltd", "GmbH", "SAS", "K.K.", "S.L.", "ApS", "Inc.", "B.V.", "S.p.A.", "AB"]


def counts(args) -> tuple[int, int, int]:
    return (
        args.organizations or max(10, round(ORGANIZATIONS * args.scale)),
        args.applications or max(100, round(APPLICATIONS * args.scale)),
        args.events or max(1000, round(EVENTS * args.scale)),
    )


# --- COPY through the models' field lists ----------------------------------------------


def copy_rows(model, rows, *, label: str, total: int | None = None) -> int:
    """COPY dicts keyed by attname into the model's table; missing keys take the default."""
    from django.db import connection, models, transaction

    rows = iter(rows)
    first = list(islice(rows, 1))
    if not first:
        return 0
    rows = chain(first, rows)
    pk = model._meta.pk
    # An auto primary key the rows leave out is the database's to number.
    fields = [f for f in model._meta.concrete_fields if f is not pk or pk.attname in first[0]]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    defaults = {f.attname: f.get_default() for f in fields if f.has_default() or f.null}
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    started, done = time.perf_counter(), 0
    while chunk := list(islice(rows, CHUNK)):
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in chunk:
                values = []
                for field in fields:
                    name = field.attname
                    value = row[name] if name in row else defaults.get(name, "")
                    if name in json_fields and value is not None:
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)
        done += len(chunk)
        _progress(label, done, started, total)
    print()
    _reset_sequence(model)
    return done


def _reset_sequence(model) -> None:
    from django.db import connection

    pk = model._meta.pk
    if not pk.get_internal_type().endswith("AutoField"):
        return
    table, column = model._meta.db_table, pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608 - model names
            f"COALESCE((SELECT MAX({column}) FROM {table}), 1))",
            [table, column],
        )


def _progress(label: str, done: int, started: float, total: int | None) -> None:
    elapsed = time.perf_counter() - started
    of = f" / {total:,}" if total else ""
    rate = done / elapsed if elapsed else 0.0
    print(f"\r  {label}: {done:>10,}{of}  {elapsed:6.1f} s  {rate:>9,.0f}/s   ", end="", flush=True)


# --- People and organizations ----------------------------------------------------------


def seed_people(organizations: int, rng: random.Random) -> tuple[Cast, dict]:
    """Create staff and organizations with an owner and a member each; return the cast."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import Membership, Organization, OrganizationType, StaffGroup, User

    password = make_password(PASSWORD)
    cast = Cast()
    staff_rows, groups = [], {}
    plan = [
        (StaffGroup.REVIEWER, 20),
        (StaffGroup.SENIOR_REVIEWER, 5),
        (StaffGroup.POLICY_STAFF, 2),
    ]
    user_id = 0
    for group, how_many in plan:
        for index in range(how_many):
            user_id += 1
            slug = group.split()[0].lower()
            email = f"{slug}{index}@gatehouse.example"
            staff_rows.append(
                {
                    "id": user_id,
                    "email": email,
                    "full_name": f"{rng.choice(WORDS)} {slug.title()} {index}",
                    "password": password,
                    "is_staff": group == StaffGroup.POLICY_STAFF,
                    "is_superuser": False,
                    "date_joined": NOW - SPAN,
                    "email_verified_at": NOW - SPAN,
                }
            )
            groups.setdefault(group, []).append(user_id)
            role = {"Reviewers": "reviewer", "Senior reviewers": "senior_reviewer"}
            cast.staff.append((user_id, email, role.get(group, "policy_staff")))
    types = list(OrganizationType.values)
    org_rows, user_rows, membership_rows = [], [], []
    for org_id in range(1, organizations + 1):
        domain = f"org{org_id}.example"
        org_rows.append(
            {
                "id": org_id,
                "name": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {org_id} {rng.choice(SUFFIXES)}",
                "country": rng.choice(COUNTRIES),
                "org_type": rng.choice(types),
                "email_domain": domain,
                "created_at": NOW - SPAN - timedelta(days=rng.randrange(0, 60)),
                "updated_at": NOW - SPAN,
            }
        )
        for role in ("owner", "member"):
            user_id += 1
            email = f"{role}@{domain}"
            user_rows.append(
                {
                    "id": user_id,
                    "email": email,
                    "full_name": f"{rng.choice(WORDS)} {role.title()}",
                    "password": password,
                    "is_staff": False,
                    "is_superuser": False,
                    "date_joined": NOW - SPAN,
                    "email_verified_at": NOW - SPAN,
                }
            )
            membership_rows.append(
                {"user_id": user_id, "organization_id": org_id, "role": role, "created_at": NOW}
            )
            cast.members.append((user_id, email, org_id, role))
    copy_rows(User, staff_rows + user_rows, label="users")
    copy_rows(Organization, org_rows, label="organizations")
    copy_rows(Membership, membership_rows, label="memberships")
    for name, ids in groups.items():
        Group.objects.get(name=name).user_set.add(*ids)
    organizations_by_id = {row["id"]: row for row in org_rows}
    for org_id, row in organizations_by_id.items():
        party = {"name": row["name"], "country": row["country"], "type": row["org_type"]}
        cast.organizations.append((org_id, party))
    return cast, {"groups": groups, "organizations": organizations_by_id}


# --- Applications ----------------------------------------------------------------------


def random_facts(rng: random.Random, party: dict) -> dict:
    """Draw valid facts over the whole vocabulary, weighted towards common use cases."""
    from reviews.decision import vocabulary as v

    common = ["face_detection", "face_liveness", "face_verification"]
    capabilities = set(rng.sample(common, rng.randrange(1, 3)))
    if rng.random() < 0.35:
        capabilities.add(rng.choice(v.CAPABILITIES))
    use_case = "identity_verification" if rng.random() < 0.4 else rng.choice(v.USE_CASES)
    facts = {
        "organization": party,
        "acting_for": []
        if rng.random() < 0.85
        else [{"name": "Stadt Köln", "country": "DE", "type": rng.choice(v.PARTY_TYPES)}],
        "capabilities": sorted(capabilities),
        "use_case": use_case,
        "deployment": {
            "real_time": rng.random() < 0.5,
            "camera": rng.choice(v.CAMERAS),
            "environment": rng.choice(v.ENVIRONMENTS),
            "countries": sorted(rng.sample(COUNTRIES, rng.randrange(1, 4))),
        },
        "gallery": rng.choice(v.GALLERIES),
        "data_subjects": sorted(rng.sample(v.DATA_SUBJECTS, rng.randrange(1, 3))),
        "consent": rng.choice(v.CONSENTS),
        "human_review": rng.random() < 0.7,
        "consequential_decisions": []
        if rng.random() < 0.75
        else sorted(rng.sample(v.CONSEQUENTIAL_DECISIONS, rng.randrange(1, 3))),
        "description": rng.choice(NOTES) + " " + rng.choice(TITLES),
    }
    return facts


def seed_applications(total: int, cast: Cast, extra: dict, rng: random.Random) -> dict:
    """COPY applications, their assessments, review actions and open questions."""
    from django.conf import settings

    from reviews.decision import evaluate, parse_facts
    from reviews.models import Application, Assessment, InformationRequest, ReviewAction
    from reviews.policy import published_policy
    from reviews.services import facts_hash

    version, policy = published_policy()
    owners = {org: user for user, _e, org, role in cast.members if role == "owner"}
    parties = dict(cast.organizations)
    reviewers = extra["groups"]["Reviewers"] + extra["groups"]["Senior reviewers"]
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    apps, assessments, actions, questions = [], [], [], []
    started = time.perf_counter()
    for app_id in range(1, total + 1):
        status = rng.choices(statuses, weights)[0]
        org = rng.choice(list(parties)) if app_id > len(parties) else app_id
        created = NOW - SPAN * (1 - app_id / total) - timedelta(hours=rng.randrange(0, 48))
        if status in Application.OPEN:  # open ones are recent
            created = NOW - timedelta(days=rng.uniform(0, 40))
        facts = random_facts(rng, parties[org])
        canonical = parse_facts(facts).to_dict()
        row = {
            "id": app_id,
            "organization_id": org,
            "created_by_id": owners[org],
            "title": rng.choice(TITLES),
            "status": status,
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }
        if status == "draft":
            row |= {
                "draft_data": {"use_case": {"use_case": facts["use_case"]}},
                "current_step": "deployment",
            }
            row["facts"] = None
        else:
            submitted = created + timedelta(minutes=rng.randrange(5, 600))
            row |= {"facts": canonical, "submitted_at": submitted, "updated_at": submitted}
            if status == "withdrawn":
                row["withdrawn_at"] = submitted + timedelta(days=rng.randrange(1, 20))
        if row["facts"] is not None and status != "withdrawn":
            result = evaluate(policy, parse_facts(canonical), now=row["submitted_at"])
            hits = [hit["rule"] for hit in result.to_dict().get("hits", [])]
            assessment_id = len(assessments) + 1
            assessments.append(
                {
                    "id": assessment_id,
                    "application_id": app_id,
                    "policy_version_id": version.pk,
                    "facts_hash": facts_hash(canonical),
                    "facts": canonical,
                    "outcome": result.outcome.value,
                    "score": result.score,
                    "result": result.to_dict(),
                    "assessed_at": row["submitted_at"] + timedelta(seconds=2),
                }
            )
            row |= {
                "latest_outcome": result.outcome.value,
                "latest_score": result.score,
                "latest_rules": "," + ",".join(hits) + ",",
                "capability_codes": "," + ",".join(canonical["capabilities"]) + ",",
                "version": 3,
            }
            if status in Application.OPEN:
                days = settings.SLA_BUSINESS_DAYS[result.outcome.value]
                row["sla_due_at"] = row["submitted_at"] + timedelta(days=days * 7 // 5)
                if status != "submitted" and rng.random() < 0.4:
                    row["assignee_id"] = rng.choice(reviewers)
                    row["assigned_at"] = row["submitted_at"] + timedelta(hours=3)
                if status == "info_requested":
                    asked = row["submitted_at"] + timedelta(days=1)
                    row["sla_paused_at"] = asked
                    asker = row.get("assignee_id") or rng.choice(reviewers)
                    questions.append(
                        {
                            "application_id": app_id,
                            "asked_by_id": asker,
                            "questions": rng.choice(NOTES),
                            "asked_at": asked,
                        }
                    )
                    actions.append(
                        _action(app_id, asker, "request_info", asked, assessment_id, rng)
                    )
            if status == "submitted":  # filed, assessment task not yet run
                assessments.pop()
                for key in ("latest_outcome", "latest_score", "latest_rules", "capability_codes"):
                    row.pop(key)
                row.pop("sla_due_at", None)
            if status in Application.DECIDED:
                decided = row["submitted_at"] + timedelta(days=rng.randrange(1, 30))
                kind = "approve" if status in ("approved", "expired") else "deny"
                if result.outcome.value == "prohibited":
                    kind = "deny"
                    row["status"] = status = "denied"
                row["decided_at"] = decided
                if kind == "approve":
                    lapse = decided + timedelta(days=365)
                    row["expires_at"] = lapse
                    row["status"] = "expired" if lapse < NOW else "approved"
                actions.append(
                    _action(app_id, rng.choice(reviewers), kind, decided, assessment_id, rng)
                )
        apps.append(row)
        if app_id % 5000 == 0:
            _progress("assessing", app_id, started, total)
    print()
    copy_rows(Application, apps, label="applications", total=total)
    copy_rows(Assessment, assessments, label="assessments", total=len(assessments))
    copy_rows(ReviewAction, actions, label="review actions", total=len(actions))
    copy_rows(InformationRequest, questions, label="questions", total=len(questions))
    tally = {}
    for row in apps:
        tally[row["status"]] = tally.get(row["status"], 0) + 1
    return tally


def _action(app_id, actor, kind, when, assessment_id, rng) -> dict:
    return {
        "application_id": app_id,
        "actor_id": actor,
        "kind": kind,
        "reason": rng.choice(NOTES),
        "internal_note": rng.choice(["", "", rng.choice(NOTES)]),
        "conditions": "Human review of every match." if kind == "approve" else "",
        "assessment_id": assessment_id,
        "created_at": when,
    }


# --- Audit events ----------------------------------------------------------------------


def seed_events(total: int, cast: Cast) -> int:
    """Append `total` chained events made by bench/audit.py's EventFactory."""
    from django.db import connection, transaction

    from audit.chain import FIELDS, GENESIS_HASH, STORED_COLUMNS, canonical_bytes, event_hash
    from audit.checkpoints import checkpoint_write
    from audit.models import AuditEvent

    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = head or (0, GENESIS_HASH)
    factory = EventFactory(cast)
    factory.clock = NOW - SPAN
    events = factory.events(total)
    payload = FIELDS.index("payload")
    sha256 = hashlib.sha256
    copy_sql = f"COPY audit_auditevent ({', '.join(STORED_COLUMNS)}, content) FROM STDIN"
    started, done = time.perf_counter(), 0
    while done < total:
        size = min(EVENT_CHUNK, total - done)
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy(copy_sql) as copy:
                for fields in islice(events, size):
                    content = canonical_bytes(fields)
                    digest = sha256(prev.encode() + b"\n" + content).hexdigest()
                    if done < 1000:  # hashed exactly as audit_record hashes
                        assert digest == event_hash(prev, fields)
                    seq += 1
                    done += 1
                    values = [fields[name] for name in FIELDS]
                    values[payload] = json.dumps(values[payload], ensure_ascii=False)
                    copy.write_row((seq, prev, digest, *values, content.decode()))
                    prev = digest
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'seq'), %s)", [seq]
            )
            checkpoint_write(now=factory.clock)
        _progress("audit events", done, started, total)
    print()
    return done


def seed(url: str, organizations: int, applications: int, events: int, seed: int = 20261120):
    """Recreate the database at `url` and fill it; return what was made."""
    import logging

    print(f"recreating {urlsplit(url).path.lstrip('/')} and migrating", flush=True)
    recreate_database(url)
    setup_django(url)
    logging.getLogger("celery").setLevel(logging.ERROR)
    rng = random.Random(seed)  # noqa: S311 - test data
    started = time.perf_counter()
    cast, extra = seed_people(organizations, rng)
    tally = seed_applications(applications, cast, extra, rng)
    seed_events(events, cast)
    from django.db import connection

    print("  vacuum analyze", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    seconds = time.perf_counter() - started
    print(f"seeded in {seconds:.0f} s: {', '.join(f'{k} {v:,}' for k, v in sorted(tally.items()))}")
    return {"seconds": seconds, "statuses": tally}


def write_doc_section(title: str, section: str, path: Path = DOC) -> None:
    """Replace the section headed `title` of docs/performance.md (or append it)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        before = "\n".join(lines[:start]).rstrip("\n")
        after = "\n".join(lines[end:]).strip("\n")
        new = before + "\n\n" + section.rstrip("\n") + "\n" + ("\n" + after + "\n" if after else "")
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the default counts")
    parser.add_argument("--organizations", type=int, default=0)
    parser.add_argument("--applications", type=int, default=0)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args(argv)
    organizations, applications, events = counts(args)
    seed(args.database_url, organizations, applications, events, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
