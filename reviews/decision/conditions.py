"""The condition language: a small, safe JSON language for a rule's "fires when".

A condition is a JSON object with exactly one operator as its key:

    {"all": [c, ...]}                  every condition is true (1 to 50 conditions)
    {"any": [c, ...]}                  at least one condition is true (1 to 50 conditions)
    {"not": c}                         the condition is false
    {"eq": [fact, value]}              a single-valued fact equals value
    {"in": [fact, values]}             a single-valued fact is one of values
    {"contains": [fact, value]}        a list fact includes value
    {"intersects": [fact, values]}     a list fact includes at least one of values
    {"empty": fact}                    a list fact is empty
    {"some_party": c}                  the organization or any party in acting_for
                                       satisfies c, written over the party facts
    {"text_any": [fact, [phrase, ...]]}  a text fact mentions one of the phrases
    {"fired": "RULE-ID"}               that rule, listed earlier in the policy, fired
    {"outcome_fired": outcome}         an earlier rule with that outcome fired

`values` is a non-empty array of distinct allowed values, or a group name: "@name"
stands for the values of a group of the vocabulary (`vocabulary.GROUPS`): @fr_capabilities,
@face_processing, @non_fr_face_processing, @law_enforcement (party types),
@mobile_cameras, @approved_fr_use_cases. A group must hold values of the fact's kind.

Facts are named by their path in the facts document (`nodes.FACTS`):
single-valued: use_case, deployment.real_time, deployment.camera, deployment.environment,
gallery, consent, human_review, organization.type, organization.country;
lists: capabilities, deployment.countries, data_subjects, consequential_decisions,
acting_for (`empty` only); text: description, organization.name.
Inside `some_party` the facts are the party's: type, country (single-valued), name (text).

Values are checked against the vocabulary: enum facts take one of their enum values,
booleans take true or false, countries a code such as "US". Phrases are literal (no
patterns): at most 200 per `text_any` and 1000 per condition, 80 characters and 8 words
each, matched after normalisation on word boundaries (see `text.py`). A value list holds
at most 50 values; a condition nests at most 12 levels and has at most 500 operators.

Example, "an FR capability, and some party is police in US":

    {"all": [{"intersects": ["capabilities", "@fr_capabilities"]},
             {"some_party": {"all": [{"eq": ["type", "police"]}, {"eq": ["country", "US"]}]}}]}
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from . import nodes as n
from . import vocabulary as v
from .describe import describe_node
from .jsonshape import described, is_array, one_of, show
from .outcome import Outcome
from .text import MAX_PHRASES, normalise, phrase_problem

MAX_DEPTH = 12
MAX_OPERATORS = 500
MAX_CHILDREN = 50
MAX_VALUES = 50
MAX_TOTAL_PHRASES = 1000
RULE_ID = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)*")
RULE_ID_MAX_LENGTH = 64

OPERATORS = (
    "all",
    "any",
    "not",
    "eq",
    "in",
    "contains",
    "intersects",
    "empty",
    "some_party",
    "text_any",
    "fired",
    "outcome_fired",
)

Segment = str | int


class ConditionError(ValueError):
    """Say what is wrong with a condition and where, as a JSON path such as $.all[1].eq."""

    def __init__(self, message: str, segments: tuple[Segment, ...] = ()) -> None:
        self.message = message
        self.segments = segments
        super().__init__(f"{self.path}: {message}")

    @property
    def path(self) -> str:
        """Return the JSON path of the offending part, "$" being the whole condition."""
        return "$" + render_segments(self.segments)


def render_segments(segments: tuple[Segment, ...]) -> str:
    """Render path segments as ".key" and "[index]" parts."""
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in segments)


def is_rule_id(value: object) -> bool:
    """Tell whether `value` is a well-formed rule id such as US-POLICE-FR."""
    return (
        isinstance(value, str)
        and len(value) <= RULE_ID_MAX_LENGTH
        and RULE_ID.fullmatch(value) is not None
    )


def validate_condition(cond: object, *, rule_ids: Collection[str] | None = None) -> None:
    """Raise ConditionError if `cond` is not a valid condition.

    Pass `rule_ids` (the rules listed before this one) to check `fired` references too.
    """
    parse_condition(cond, rule_ids=rule_ids)


def describe_condition(cond: object) -> str:
    """Render a valid condition as readable English; raise ConditionError if invalid."""
    return describe_node(parse_condition(cond))


def parse_condition(cond: object, *, rule_ids: Collection[str] | None = None) -> n.Node:
    """Validate `cond` and return its tree; raise ConditionError on the first problem."""
    return _Parser(rule_ids).node(cond, (), depth=1, in_party=False)


class _Parser:
    def __init__(self, rule_ids: Collection[str] | None) -> None:
        self.rule_ids = None if rule_ids is None else frozenset(rule_ids)
        self.operators = 0
        self.phrases = 0

    def node(self, cond: object, at: tuple[Segment, ...], depth: int, in_party: bool) -> n.Node:
        if depth > MAX_DEPTH:
            raise ConditionError(f"conditions may nest at most {MAX_DEPTH} levels deep", at)
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise ConditionError(f"a condition may have at most {MAX_OPERATORS} operators", at)
        if not isinstance(cond, Mapping):
            raise ConditionError(
                'a condition must be a JSON object with one operator, such as {"all": [...]}, '
                f"got {described(cond)}",
                at,
            )
        if len(cond) != 1:
            keys = ", ".join(str(key) for key in cond) or "none"
            raise ConditionError(f"a condition has exactly one operator, got: {keys}", at)
        ((op, arg),) = cond.items()
        if op not in OPERATORS:
            raise ConditionError(
                f"unknown operator {show(op)}; operators are: {one_of(OPERATORS)}", at
            )
        here = (*at, op)
        if op in ("all", "any"):
            children = self.node_list(arg, here, depth, in_party)
            return n.All(children) if op == "all" else n.AnyOf(children)
        if op == "not":
            return n.Not(self.node(arg, here, depth + 1, in_party))
        if op == "some_party":
            if in_party:
                raise ConditionError("some_party cannot be used inside some_party", here)
            return n.SomeParty(self.node(arg, here, depth + 1, in_party=True))
        if op in ("fired", "outcome_fired"):
            if in_party:
                raise ConditionError(f"{op} cannot be used inside some_party", here)
            return self.fired(arg, here) if op == "fired" else self.outcome_fired(arg, here)
        if op == "empty":
            return n.Empty(self.fact(arg, here, in_party, op, (n.LIST, n.PARTIES)))
        fact, operand = self.pair(arg, here)
        if op == "text_any":
            fact_ = self.fact(fact, (*here, 0), in_party, op, (n.TEXT,))
            phrases, normalised = self.phrase_list(operand, (*here, 1))
            return n.TextAny(fact_, phrases, normalised)
        kinds = (n.SCALAR,) if op in ("eq", "in") else (n.LIST,)
        fact_ = self.fact(fact, (*here, 0), in_party, op, kinds)
        if op in ("eq", "contains"):
            value = self.value(fact_, operand, (*here, 1))
            return n.Eq(fact_, value) if op == "eq" else n.Contains(fact_, value)
        values, group = self.values(fact_, operand, (*here, 1))
        return n.In(fact_, values, group) if op == "in" else n.Intersects(fact_, values, group)

    def node_list(
        self, arg: object, at: tuple[Segment, ...], depth: int, in_party: bool
    ) -> tuple[n.Node, ...]:
        if not is_array(arg) or not 1 <= len(arg) <= MAX_CHILDREN:
            raise ConditionError(
                f"expected an array of 1 to {MAX_CHILDREN} conditions, got {described(arg)}", at
            )
        return tuple(
            self.node(child, (*at, index), depth + 1, in_party) for index, child in enumerate(arg)
        )

    def pair(self, arg: object, at: tuple[Segment, ...]) -> tuple[object, object]:
        if not is_array(arg) or len(arg) != 2:
            raise ConditionError(
                f"{at[-1]} takes an array of exactly two items [fact, ...], got {described(arg)}",
                at,
            )
        return arg[0], arg[1]

    def fact(
        self,
        name: object,
        at: tuple[Segment, ...],
        in_party: bool,
        op: str,
        kinds: tuple[str, ...],
    ) -> n.Fact:
        facts = n.PARTY_FACTS if in_party else n.FACTS
        if not isinstance(name, str):
            raise ConditionError(f"expected a fact name, got {described(name)}", at)
        fact = facts.get(name)
        if fact is None:
            if in_party:
                message = (
                    f"{show(name)} is not a party fact; inside some_party the facts are: "
                    f"{one_of(facts)}"
                )
            else:
                hint = " (party facts are used inside some_party)" if name in n.PARTY_FACTS else ""
                message = f"unknown fact {show(name)}{hint}; facts are: {one_of(facts)}"
            raise ConditionError(message, at)
        if fact.kind not in kinds:
            suitable = [f for f, spec in facts.items() if spec.kind in kinds]
            raise ConditionError(
                f"{op} does not apply to {name}, which is {_KIND_NAMES[fact.kind]}; "
                f"{op} applies to: {one_of(suitable)}",
                at,
            )
        return fact

    def value(self, fact: n.Fact, value: object, at: tuple[Segment, ...]) -> str | bool:
        if fact.domain == n.BOOLEAN:
            if not isinstance(value, bool):
                raise ConditionError(f"{fact.path} is true or false, got {described(value)}", at)
            return value
        if fact.domain == n.COUNTRY:
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
                raise ConditionError(
                    f"{show(value)} is not a 2-letter ISO 3166-1 code such as US", at
                )
            return value
        allowed = fact.allowed_values() or ()
        if not isinstance(value, str) or value not in allowed:
            raise ConditionError(
                f"{show(value)} is not a value of {fact.path}; allowed values are: "
                f"{one_of(allowed)}",
                at,
            )
        return value

    def values(
        self, fact: n.Fact, arg: object, at: tuple[Segment, ...]
    ) -> tuple[tuple[Any, ...], str | None]:
        if isinstance(arg, str) and arg.startswith("@"):
            group = v.GROUPS.get(arg[1:])
            if group is None:
                names = one_of(f"@{name}" for name in v.GROUPS)
                raise ConditionError(f"unknown group {show(arg)}; groups are: {names}", at)
            if group.domain != fact.domain:
                raise ConditionError(
                    f"group {arg} holds {group.domain} values, which {fact.path} cannot take",
                    at,
                )
            return group.members, group.name
        if not is_array(arg) or not 1 <= len(arg) <= MAX_VALUES:
            raise ConditionError(
                f"expected an array of 1 to {MAX_VALUES} values or a group such as "
                f"@fr_capabilities, got {described(arg)}",
                at,
            )
        values = tuple(self.value(fact, item, (*at, i)) for i, item in enumerate(arg))
        if len(set(values)) != len(values):
            raise ConditionError("values must be distinct", at)
        return values, None

    def phrase_list(
        self, arg: object, at: tuple[Segment, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if not is_array(arg) or not 1 <= len(arg) <= MAX_PHRASES:
            raise ConditionError(
                f"expected an array of 1 to {MAX_PHRASES} phrases, got {described(arg)}", at
            )
        self.phrases += len(arg)
        if self.phrases > MAX_TOTAL_PHRASES:
            raise ConditionError(f"a condition may have at most {MAX_TOTAL_PHRASES} phrases", at)
        seen: dict[str, int] = {}
        for index, phrase in enumerate(arg):
            problem = phrase_problem(phrase)
            if problem:
                raise ConditionError(f"{problem}, got {described(phrase)}", (*at, index))
            key = normalise(phrase)
            if key in seen:
                raise ConditionError(
                    f"{show(phrase)} repeats phrase [{seen[key]}] once normalised to {show(key)}",
                    (*at, index),
                )
            seen[key] = index
        return tuple(arg), tuple(seen)

    def fired(self, arg: object, at: tuple[Segment, ...]) -> n.Fired:
        if not is_rule_id(arg):
            raise ConditionError(
                f"expected a rule id such as US-POLICE-FR, got {described(arg)}", at
            )
        if self.rule_ids is not None and arg not in self.rule_ids:
            raise ConditionError(
                f"unknown rule {show(arg)}; a rule may only refer to rules listed before it", at
            )
        return n.Fired(arg)

    def outcome_fired(self, arg: object, at: tuple[Segment, ...]) -> n.OutcomeFired:
        outcomes = [outcome.value for outcome in Outcome]
        if not isinstance(arg, str) or arg not in outcomes:
            raise ConditionError(f"{show(arg)} is not an outcome: {one_of(outcomes)}", at)
        return n.OutcomeFired(Outcome(arg))


_KIND_NAMES = {
    n.SCALAR: "single-valued",
    n.LIST: "a list",
    n.TEXT: "free text",
    n.PARTIES: "a list of parties",
}
