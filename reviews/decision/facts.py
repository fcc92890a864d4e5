"""The facts of one application (interchange format v1) and their strict parser.

`parse_facts` validates exactly what `facts.schema.json` allows: unknown keys, wrong
types, values outside an enum, malformed country codes, duplicates and missing fields
are all errors, and every error is reported with its field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import vocabulary as v
from .jsonshape import Problem, child, described, is_array, one_of, render_problems, show

MAX_DESCRIPTION_LENGTH = 10_000

_COUNTRY = re.compile(r"[A-Z]{2}")

_PARTY_FIELDS = ("name", "country", "type")
_PARTY_REQUIRED = ("country", "type")
_DEPLOYMENT_FIELDS = ("real_time", "camera", "environment", "countries")
_DEPLOYMENT_REQUIRED = ("real_time", "camera", "environment")
_FACTS_FIELDS = (
    "id",
    "organization",
    "acting_for",
    "capabilities",
    "use_case",
    "deployment",
    "gallery",
    "data_subjects",
    "consent",
    "human_review",
    "consequential_decisions",
    "description",
)
_FACTS_REQUIRED = (
    "organization",
    "capabilities",
    "use_case",
    "deployment",
    "data_subjects",
    "consent",
    "human_review",
    "description",
)


class FactsError(ValueError):
    """Report every problem found in a facts document as ``(field_path, message)``."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = list(errors)
        super().__init__(render_problems(self.errors, root="facts"))


@dataclass(frozen=True, slots=True)
class Party:
    """An organization that applies, or one the applicant acts for."""

    country: str
    type: str
    name: str | None = None

    def to_dict(self) -> dict[str, str]:
        """Return the canonical JSON object of the party."""
        data = {} if self.name is None else {"name": self.name}
        data["country"] = self.country
        data["type"] = self.type
        return data


@dataclass(frozen=True, slots=True)
class Deployment:
    """How and where the system captures or processes images."""

    real_time: bool
    camera: str
    environment: str
    countries: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON object of the deployment."""
        return {
            "real_time": self.real_time,
            "camera": self.camera,
            "environment": self.environment,
            "countries": list(self.countries),
        }


@dataclass(frozen=True, slots=True)
class Facts:
    """The validated facts of one use-case application."""

    organization: Party
    capabilities: tuple[str, ...]
    use_case: str
    deployment: Deployment
    data_subjects: tuple[str, ...]
    consent: str
    human_review: bool
    description: str
    acting_for: tuple[Party, ...] = ()
    gallery: str = "none"
    consequential_decisions: tuple[str, ...] = ()
    id: str | None = None

    @property
    def parties(self) -> tuple[Party, ...]:
        """Return the organization followed by everyone it acts for ("by or for")."""
        return (self.organization, *self.acting_for)

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical JSON object; `parse_facts` reads it back unchanged."""
        data: dict[str, Any] = {} if self.id is None else {"id": self.id}
        data.update(
            organization=self.organization.to_dict(),
            acting_for=[party.to_dict() for party in self.acting_for],
            capabilities=list(self.capabilities),
            use_case=self.use_case,
            deployment=self.deployment.to_dict(),
            gallery=self.gallery,
            data_subjects=list(self.data_subjects),
            consent=self.consent,
            human_review=self.human_review,
            consequential_decisions=list(self.consequential_decisions),
            description=self.description,
        )
        return data


def parse_facts(data: Mapping[str, Any]) -> Facts:
    """Validate `data` against facts format v1 and return `Facts`, or raise FactsError."""
    reader = _Reader()
    facts = reader.facts(data)
    if reader.problems or facts is None:
        raise FactsError(reader.problems)
    return facts


class _Missing:
    """Mark a required field that is absent, which its parent object already reported."""


_MISSING: Any = _Missing()


class _Reader:
    """Read one facts document, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def facts(self, data: object) -> Facts | None:
        obj = self.obj(data, "", _FACTS_FIELDS, _FACTS_REQUIRED)
        if obj is None:
            return None

        def get(key: str, default: object = _MISSING) -> Any:
            return obj.get(key, default)

        fact_id = self.string(get("id"), "id") if "id" in obj else None
        organization = self.party(get("organization"), "organization")
        acting_for = self.array(get("acting_for", []), "acting_for", self.party)
        capabilities = self.enum_array(get("capabilities"), "capabilities", v.CAPABILITIES, 1)
        use_case = self.enum(get("use_case"), "use_case", v.USE_CASES)
        deployment = self.deployment(get("deployment"), "deployment")
        gallery = self.enum(get("gallery", "none"), "gallery", v.GALLERIES)
        subjects = self.enum_array(get("data_subjects"), "data_subjects", v.DATA_SUBJECTS, 1)
        consent = self.enum(get("consent"), "consent", v.CONSENTS)
        human_review = self.boolean(get("human_review"), "human_review")
        decisions = self.enum_array(
            get("consequential_decisions", []),
            "consequential_decisions",
            v.CONSEQUENTIAL_DECISIONS,
            0,
        )
        description = self.string(get("description"), "description")
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            self.fail(
                "description",
                f"is {len(description)} characters long; the maximum is {MAX_DESCRIPTION_LENGTH}",
            )
        if self.problems:
            return None
        return Facts(
            id=fact_id,
            organization=organization,
            acting_for=acting_for,
            capabilities=capabilities,
            use_case=use_case,
            deployment=deployment,
            gallery=gallery,
            data_subjects=subjects,
            consent=consent,
            human_review=human_review,
            consequential_decisions=decisions,
            description=description,
        )

    def obj(
        self, value: object, path: str, fields: tuple[str, ...], required: tuple[str, ...]
    ) -> Mapping[str, Any] | None:
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a JSON object, got {described(value)}")
            return None
        for key in value:
            if key not in fields:
                name = key if isinstance(key, str) else show(key)
                self.fail(child(path, name), f"unknown field; allowed fields are: {one_of(fields)}")
        for key in required:
            if key not in value:
                self.fail(child(path, key), "required field is missing")
        return value

    def party(self, value: object, path: str) -> Party | None:
        obj = self.obj(value, path, _PARTY_FIELDS, _PARTY_REQUIRED)
        if obj is None:
            return None
        return Party(
            name=self.string(obj["name"], child(path, "name")) if "name" in obj else None,
            country=self.country(obj.get("country", _MISSING), child(path, "country")),
            type=self.enum(obj.get("type", _MISSING), child(path, "type"), v.PARTY_TYPES),
        )

    def deployment(self, value: object, path: str) -> Deployment | None:
        obj = self.obj(value, path, _DEPLOYMENT_FIELDS, _DEPLOYMENT_REQUIRED)
        if obj is None:
            return None
        return Deployment(
            real_time=self.boolean(obj.get("real_time", _MISSING), child(path, "real_time")),
            camera=self.enum(obj.get("camera", _MISSING), child(path, "camera"), v.CAMERAS),
            environment=self.enum(
                obj.get("environment", _MISSING), child(path, "environment"), v.ENVIRONMENTS
            ),
            countries=self.array(obj.get("countries", []), child(path, "countries"), self.country),
        )

    def string(self, value: object, path: str) -> str | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {described(value)}")
            return None
        return value

    def boolean(self, value: object, path: str) -> bool | None:
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {described(value)}")
            return None
        return value

    def enum(self, value: object, path: str, allowed: tuple[str, ...]) -> str | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in allowed:
            self.fail(path, f"{show(value)} is not one of: {one_of(allowed)}")
            return None
        return value

    def country(self, value: object, path: str) -> str | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {described(value)}")
            return None
        if not _COUNTRY.fullmatch(value):
            self.fail(path, f"{show(value)} is not a 2-letter ISO 3166-1 code such as US")
            return None
        return value

    def array(
        self, value: object, path: str, item: Callable[[object, str], Any], min_items: int = 0
    ) -> tuple[Any, ...]:
        if value is _MISSING:
            return ()
        if not is_array(value):
            self.fail(path, f"expected an array, got {described(value)}")
            return ()
        if len(value) < min_items:
            self.fail(path, "must list at least one value")
        return tuple(item(element, child(path, index)) for index, element in enumerate(value))

    def enum_array(
        self, value: object, path: str, allowed: tuple[str, ...], min_items: int
    ) -> tuple[str, ...]:
        items = self.array(value, path, lambda x, p: self.enum(x, p, allowed), min_items)
        first_seen: dict[str, int] = {}
        for index, element in enumerate(items):
            if element is None:
                continue
            if element in first_seen:
                self.fail(
                    child(path, index),
                    f"{show(element)} is listed more than once (first at "
                    f"{child(path, first_seen[element])}); items must be unique",
                )
            else:
                first_seen[element] = index
        return items
