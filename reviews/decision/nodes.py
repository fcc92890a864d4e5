"""The facts a condition may test, and the validated tree a condition parses into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from . import vocabulary as v
from .outcome import Outcome

# Kinds of fact: which operators apply to them.
SCALAR = "scalar"  # eq, in
LIST = "list"  # contains, intersects, empty
TEXT = "text"  # text_any
PARTIES = "parties"  # empty

BOOLEAN = "boolean"
COUNTRY = "country"
FREE_TEXT = "text"
PARTY = "party"


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a condition can name: its path, kind, value domain and accessor."""

    path: str
    kind: str
    domain: str
    get: Callable[[Any], Any]

    def allowed_values(self) -> tuple[str, ...] | None:
        """Return the closed set of values of this fact, or None when it is open."""
        return v.DOMAINS.get(self.domain)


def _facts(*facts: Fact) -> MappingProxyType[str, Fact]:
    return MappingProxyType({fact.path: fact for fact in facts})


# Facts of an application, named by their dotted path in the facts document.
FACTS = _facts(
    Fact("capabilities", LIST, "capability", attrgetter("capabilities")),
    Fact("use_case", SCALAR, "use_case", attrgetter("use_case")),
    Fact("deployment.real_time", SCALAR, BOOLEAN, attrgetter("deployment.real_time")),
    Fact("deployment.camera", SCALAR, "camera", attrgetter("deployment.camera")),
    Fact("deployment.environment", SCALAR, "environment", attrgetter("deployment.environment")),
    Fact("deployment.countries", LIST, COUNTRY, attrgetter("deployment.countries")),
    Fact("gallery", SCALAR, "gallery", attrgetter("gallery")),
    Fact("data_subjects", LIST, "data_subject", attrgetter("data_subjects")),
    Fact("consent", SCALAR, "consent", attrgetter("consent")),
    Fact("human_review", SCALAR, BOOLEAN, attrgetter("human_review")),
    Fact(
        "consequential_decisions",
        LIST,
        "consequential_decision",
        attrgetter("consequential_decisions"),
    ),
    Fact("description", TEXT, FREE_TEXT, attrgetter("description")),
    Fact("organization.type", SCALAR, "party_type", attrgetter("organization.type")),
    Fact("organization.country", SCALAR, COUNTRY, attrgetter("organization.country")),
    Fact("organization.name", TEXT, FREE_TEXT, attrgetter("organization.name")),
    Fact("acting_for", PARTIES, PARTY, attrgetter("acting_for")),
)

# Facts of one party, named inside `some_party`.
PARTY_FACTS = _facts(
    Fact("type", SCALAR, "party_type", attrgetter("type")),
    Fact("country", SCALAR, COUNTRY, attrgetter("country")),
    Fact("name", TEXT, FREE_TEXT, attrgetter("name")),
)


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Eq:
    fact: Fact
    value: str | bool


@dataclass(frozen=True, slots=True)
class In:
    fact: Fact
    values: tuple[str, ...]
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Contains:
    fact: Fact
    value: str


@dataclass(frozen=True, slots=True)
class Intersects:
    fact: Fact
    values: tuple[str, ...]
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Empty:
    fact: Fact


@dataclass(frozen=True, slots=True)
class SomeParty:
    child: Node


@dataclass(frozen=True, slots=True)
class TextAny:
    fact: Fact
    phrases: tuple[str, ...]
    normalised: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fired:
    rule: str


@dataclass(frozen=True, slots=True)
class OutcomeFired:
    outcome: Outcome


Node = (
    All | AnyOf | Not | Eq | In | Contains | Intersects | Empty | SomeParty | TextAny | Fired
) | OutcomeFired


def walk(node: Node):
    """Yield `node` and every node below it, depth first."""
    yield node
    if isinstance(node, All | AnyOf):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not | SomeParty):
        yield from walk(node.child)
