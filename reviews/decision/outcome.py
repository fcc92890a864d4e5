"""The three recommendations an assessment can make, ordered by severity."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Outcome(StrEnum):
    """Recommend what a reviewer may do; compare with `severity`, not as strings."""

    PROHIBITED = "prohibited"
    ESCALATE = "escalate"
    APPROVABLE = "approvable"

    @property
    def severity(self) -> int:
        """Return 0 for approvable, 1 for escalate, 2 for prohibited."""
        return _SEVERITY[self]

    @classmethod
    def most_severe(cls, outcomes: Iterable[Outcome]) -> Outcome:
        """Return the most severe of `outcomes`, or approvable when there are none."""
        return max(outcomes, key=_SEVERITY.__getitem__, default=cls.APPROVABLE)


_SEVERITY = {Outcome.APPROVABLE: 0, Outcome.ESCALATE: 1, Outcome.PROHIBITED: 2}
