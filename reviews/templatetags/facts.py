"""Show facts-format codes in plain language."""

from django import template

from accounts.models import OrganizationType
from reviews import choices

register = template.Library()

_LABELS = {
    "capabilities": dict(choices.CAPABILITIES),
    "use_case": dict(choices.USE_CASES),
    "camera": dict(choices.CAMERAS),
    "environment": dict(choices.ENVIRONMENTS),
    "gallery": dict(choices.GALLERIES),
    "data_subjects": dict(choices.DATA_SUBJECTS),
    "consent": dict(choices.CONSENT),
    "consequential_decisions": dict(choices.CONSEQUENTIAL_DECISIONS),
    "party_type": dict(OrganizationType.choices),
}


@register.filter
def fact_label(value, kind: str):
    """Return the label of one code, or of each code in a list joined by semicolons."""
    labels = _LABELS[kind]
    if isinstance(value, list | tuple):
        return "; ".join(labels.get(code, code) for code in value)
    return labels.get(value, value)


@register.filter
def get_item(mapping, key):
    """Return mapping[key], or None."""
    return mapping.get(key) if mapping else None
