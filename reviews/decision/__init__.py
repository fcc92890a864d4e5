"""The decision module: is this use of a restricted capability allowed, and why.

Pure Python over frozen dataclasses, standard library only, and no Django import
anywhere inside (a test enforces it). The Django side parses facts and policies with
the functions below, compiles a policy once, and evaluates facts with an explicit `now`.
"""

from . import vocabulary
from .conditions import ConditionError, describe_condition, validate_condition
from .engine import (
    Assessment,
    CompiledPolicy,
    Hit,
    compile_policy,
    evaluate,
    golden_case_failures,
)
from .facts import Deployment, Facts, FactsError, Party, parse_facts
from .outcome import Outcome
from .policy import (
    GoldenCase,
    PolicyError,
    PolicySpec,
    RuleSpec,
    parse_policy,
    policy_content_hash,
)

__all__ = [
    "Assessment",
    "CompiledPolicy",
    "ConditionError",
    "Deployment",
    "Facts",
    "FactsError",
    "GoldenCase",
    "Hit",
    "Outcome",
    "Party",
    "PolicyError",
    "PolicySpec",
    "RuleSpec",
    "compile_policy",
    "describe_condition",
    "evaluate",
    "golden_case_failures",
    "parse_facts",
    "parse_policy",
    "policy_content_hash",
    "validate_condition",
    "vocabulary",
]
