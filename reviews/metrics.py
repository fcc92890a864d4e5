"""Figures for the metrics page: queue size, time to decision, outcomes, rule hits, overrules."""

import statistics
from collections import Counter
from datetime import datetime, timedelta

from .models import Application


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def review_metrics(*, now: datetime, rule_outcomes: dict[str, str], days: int = 30) -> dict:
    """Return the figures over the last `days` days.

    `rule_outcomes` maps rule ids to their outcome, to tell what the module recommended.
    """
    start = now - timedelta(days=days)
    rows = list(
        Application.objects.exclude(status="draft")
        .filter(submitted_at__isnull=False)
        .exclude(decided_at__lt=start)
        .exclude(withdrawn_at__lt=start)
        .values_list("submitted_at", "decided_at", "withdrawn_at", "status", "latest_outcome",
                     "latest_rules")
    )  # fmt: skip
    queue = []
    for offset in range(days + 1):
        day_end = start + timedelta(days=offset)
        open_count = sum(
            1
            for submitted, decided, withdrawn, *_ in rows
            if submitted <= day_end
            and (decided is None or decided > day_end)
            and (withdrawn is None or withdrawn > day_end)
        )
        queue.append((day_end.strftime("%d %b"), open_count))
    decided = [r for r in rows if r[1] is not None and r[1] >= start]
    hours = [(d - s).total_seconds() / 3600 for s, d, *_ in decided]
    outcomes = Counter(status for _s, _d, _w, status, *_ in decided)
    rule_hits: Counter = Counter()
    per_rule: dict[str, Counter] = {}
    for _s, decided_at, _w, status, _outcome, rules in rows:
        names = [name for name in rules.strip(",").split(",") if name] or ["(no rule)"]
        for name in names:
            rule_hits[name] += 1
            if decided_at is not None and status in ("approved", "denied", "expired"):
                per_rule.setdefault(name, Counter())[
                    "approved" if status != "denied" else "denied"
                ] += 1
    overrules = []
    for name, counts in sorted(per_rule.items()):
        total = counts["approved"] + counts["denied"]
        # The module recommends denial for prohibited hits and approval when no rule fires;
        # escalate hits ask for a closer look, not a direction.
        outcome = "approvable" if name == "(no rule)" else rule_outcomes.get(name, "")
        against = {"approvable": counts["denied"], "prohibited": counts["approved"]}.get(outcome)
        overrules.append(
            {
                "rule": name,
                "outcome": outcome or "retired",
                "approved": counts["approved"],
                "denied": counts["denied"],
                "against": against,
                "share": round(100 * against / total) if against is not None and total else None,
            }
        )
    return {
        "queue": queue,
        "decided": len(decided),
        "median_hours": statistics.median(hours) if hours else None,
        "p90_hours": _percentile(hours, 0.9),
        "outcomes": sorted(outcomes.items()),
        "rule_hits": rule_hits.most_common(10),
        "overrules": overrules,
    }
