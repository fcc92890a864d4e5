"""The application, one step at a time: each step is a form over part of the facts.

A draft keeps each step's raw input (`Application.draft_data[step]`), so nothing typed is
lost, even when it does not validate yet. `facts_from_steps` turns valid steps into the
facts document the decision module reads.
"""

import re
from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from django import forms
from django.http import QueryDict

from accounts.models import OrganizationType, Subscription
from config.rows import fetch
from reviews import choices
from reviews.decision import vocabulary
from reviews.models import Capability

from . import fields

_COUNTRY = re.compile(r"^[A-Z]{2}$")
YES_NO = [("yes", "Yes"), ("no", "No")]
# Capabilities that look at images: only they raise the camera and setting questions.
VISION = frozenset(vocabulary.FACE_PROCESSING) | {"vision_description"}
FR = frozenset(vocabulary.FR_CAPABILITIES)
FACE = frozenset(vocabulary.FACE_PROCESSING)

ATTESTATIONS = {
    "no_us_police": (
        "I certify that use of this service is not by or for a police department in the "
        "United States."
    ),
    "no_mobile_realtime": (
        "I certify that the service will not be used by or for law enforcement for real-time "
        "facial recognition on mobile cameras (such as body-worn or dash-mounted cameras) in "
        "uncontrolled settings."
    ),
    "no_emotion_or_attributes": (
        "I certify that the service will not be used to infer emotions, or sensitive attributes "
        "such as gender, race, age or religion, from people's faces."
    ),
    "accurate": (
        "I certify that the information in this application is accurate and complete, and that "
        "we will tell the provider when it changes."
    ),
}


# The two lists a draft's forms read from the database, for the capabilities step and the
# declarations step, and both again on submission: fixed SQL (config/rows.py says why).
_CAPABILITIES_SQL = (
    "SELECT code, label, description, active "  # noqa: S608
    f'FROM {Capability._meta.db_table} ORDER BY "order", code'
)
_SUBSCRIPTIONS_SQL = (
    f"SELECT identifier, label FROM {Subscription._meta.db_table} "  # noqa: S608
    "WHERE organization_id = %s ORDER BY identifier"
)


def capability_choices() -> list[tuple[str, str]]:
    """Return the active capabilities of the catalogue policy staff keep, labelled for customers."""
    rows = fetch(_CAPABILITIES_SQL, [])
    if not rows:  # an empty catalogue falls back to the built-in labels
        return choices.CAPABILITIES
    return [
        (code, f"{label}: {description}" if description else label)
        for code, label, description, active in rows
        if active
    ]


def _yes_no(value: str) -> bool:
    return value == "yes"


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class StepForm(forms.Form):
    def __init__(self, *args, context: "StepContext", **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        # A repeated tick is one choice: the facts format wants each value once.
        for name, value in cleaned.items():
            if isinstance(value, list):
                cleaned[name] = list(dict.fromkeys(value))
        return cleaned


class UseCaseStep(StepForm):
    title = forms.CharField(max_length=200, help_text="A short name for this use case.")
    use_case = fields.ChoiceField(
        choices=[("", "Choose the purpose…"), *choices.USE_CASES],
        help_text="Face recognition is offered only for the first nine, the approved use "
        "cases; the others are assessed case by case.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text="In your own words: what the system does, where, for whom, and who sees "
        "its results. Reviewers read this closely.",
    )


class PartyForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="e.g. US, GB")
    type = fields.ChoiceField(required=False, choices=[("", "—"), *OrganizationType.choices])

    def clean_country(self) -> str:
        code = self.cleaned_data["country"].strip().upper()
        if code and not _COUNTRY.match(code):
            raise forms.ValidationError(
                "Enter a two-letter country code such as US.", code="country"
            )
        return code

    def clean(self):
        cleaned = super().clean()
        filled = [cleaned.get(name) for name in ("name", "country", "type")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(
                "Give the end customer's name, country and type.", code="end_customer_incomplete"
            )
        return cleaned


class PartiesFormSet(forms.BaseFormSet):
    def __init__(self, *args, context=None, **kwargs):
        kwargs.setdefault("prefix", "acting_for")
        super().__init__(*args, **kwargs)
        self.context = context
        self.helper = _helper()
        self.helper.template = "bootstrap5/table_inline_formset.html"

    def parties(self) -> list[dict]:
        return [
            {
                "name": form.cleaned_data["name"].strip(),
                "country": form.cleaned_data["country"],
                "type": form.cleaned_data["type"],
            }
            for form in self.forms
            if form.cleaned_data.get("name")
        ]


PartiesStep = forms.formset_factory(
    PartyForm, formset=PartiesFormSet, extra=3, max_num=20, absolute_max=20, validate_max=True
)


class CapabilitiesStep(StepForm):
    capabilities = fields.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick everything the system does, even occasionally. Undeclared capabilities "
        "found in the description are flagged to reviewers.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capabilities"].choices = capability_choices()


class DeploymentStep(StepForm):
    real_time = fields.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        label="Does the system process live or near-real-time video?",
        help_text="No means it analyses recorded or uploaded media after the fact.",
    )
    camera = fields.ChoiceField(
        choices=choices.CAMERAS,
        label="Source of images",
        help_text="Body-worn, dash-mounted, handheld cameras and drones count as mobile cameras.",
    )
    environment = fields.ChoiceField(
        choices=choices.ENVIRONMENTS, label="Setting where images are captured"
    )
    countries = forms.CharField(
        max_length=300,
        required=False,
        label="Countries of deployment",
        help_text="Two-letter codes separated by commas, e.g. GB, IE.",
    )

    def clean_countries(self) -> list[str]:
        codes = [code.strip().upper() for code in self.cleaned_data["countries"].split(",")]
        codes = [code for code in codes if code]
        bad = [code for code in codes if not _COUNTRY.match(code)]
        if bad:
            raise forms.ValidationError(
                "These are not two-letter country codes: %(bad)s.",
                code="country",
                params={"bad": ", ".join(bad)},
            )
        return list(dict.fromkeys(codes))


class PeopleStep(StepForm):
    gallery = fields.ChoiceField(
        choices=choices.GALLERIES,
        label="What are faces matched against?",
        help_text="Asked because you chose face verification, identification or celebrity "
        "recognition.",
    )
    data_subjects = fields.MultipleChoiceField(
        choices=choices.DATA_SUBJECTS,
        widget=forms.CheckboxSelectMultiple,
        label="Whose faces or data are processed?",
    )
    consent = fields.ChoiceField(
        choices=choices.CONSENT,
        label="How do these people agree to it?",
        help_text="Opt-in with an alternative means people can choose a non-biometric route.",
    )
    human_review = fields.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        label="Does a trained person review every consequential output before it affects someone?",
    )
    consequential_decisions = fields.MultipleChoiceField(
        choices=choices.CONSEQUENTIAL_DECISIONS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Where does the output affect people's legal position or life opportunities?",
        help_text="Leave empty if nowhere.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.context.uses_fr:
            del self.fields["gallery"]


class DeclarationsStep(StepForm):
    subscriptions = fields.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Enable on these subscriptions",
        help_text="Add subscriptions in your organization's profile.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriptions"].choices = [
            (identifier, f"{identifier} {label}".strip())
            for identifier, label in fetch(_SUBSCRIPTIONS_SQL, [self.context.organization.pk])
        ]
        for key in self.context.attestations():
            self.fields[f"attest_{key}"] = forms.BooleanField(
                label=ATTESTATIONS[key],
                error_messages={"required": "You must confirm this statement to submit."},
            )

    def attested(self) -> list[str]:
        return [
            key for key in self.context.attestations() if self.cleaned_data.get(f"attest_{key}")
        ]


@dataclass
class StepContext:
    """What the steps depend on: the organization, and the capabilities chosen so far."""

    organization: object
    capabilities: frozenset[str]

    @property
    def uses_vision(self) -> bool:
        return bool(self.capabilities & VISION)

    @property
    def uses_fr(self) -> bool:
        return bool(self.capabilities & FR)

    def attestations(self) -> list[str]:
        keys = []
        if self.uses_fr:
            keys += ["no_us_police", "no_mobile_realtime"]
        if self.capabilities & FACE:
            keys.append("no_emotion_or_attributes")
        return [*keys, "accurate"]


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    form_class: type
    relevant: object = None  # a callable(StepContext) -> bool; None means always

    def applies(self, context: StepContext) -> bool:
        return self.relevant is None or self.relevant(context)


STEPS = [
    Step("use_case", "Use case", UseCaseStep),
    Step("parties", "For whom", PartiesStep),
    Step("capabilities", "Capabilities", CapabilitiesStep),
    Step("deployment", "Deployment", DeploymentStep, lambda c: c.uses_vision),
    Step("people", "People and safeguards", PeopleStep),
    Step("declarations", "Subscriptions and declarations", DeclarationsStep),
]
STEP_KEYS = [step.key for step in STEPS]


def step_named(key: str) -> Step | None:
    return next((step for step in STEPS if step.key == key), None)


def as_querydict(raw: dict | None) -> QueryDict | None:
    """Rebuild submitted form data from what a draft stored."""
    if raw is None:
        return None
    data = QueryDict(mutable=True)
    for key, values in raw.items():
        data.setlist(key, values if isinstance(values, list) else [values])
    return data


def stored_input(data: QueryDict, step: Step) -> dict[str, list[str]]:
    """Return the raw input of a step worth keeping (no CSRF token or navigation)."""
    skip = {"csrfmiddlewaretoken", "version", "nav"}
    # Kept as typed, except NUL, which no database text column can hold.
    return {
        key.replace("\x00", ""): [value.replace("\x00", "") for value in data.getlist(key)]
        for key in data
        if key not in skip
    }


def context_for(organization, draft_data: dict) -> StepContext:
    raw = draft_data.get("capabilities", {})
    return StepContext(organization, frozenset(raw.get("capabilities", [])))


def bound_form(step: Step, draft_data: dict, organization, data=None, initial=None):
    """Return the step's form bound to `data`, else to what the draft stored, else unbound."""
    context = context_for(organization, draft_data)
    data = data if data is not None else as_querydict(draft_data.get(step.key))
    if step.form_class is PartiesStep:
        return PartiesStep(data, initial=initial, context=context)
    return step.form_class(data, initial=initial, context=context)


def facts_from_steps(
    organization, draft_data: dict, *, skip: tuple[str, ...] = ()
) -> tuple[dict | None, dict, list[str]]:
    """Validate every relevant step; return (facts or None, {step: form}, invalid step keys)."""
    context = context_for(organization, draft_data)
    forms_by_step, invalid = {}, []
    for step in STEPS:
        if not step.applies(context) or step.key in skip:
            continue
        form = bound_form(step, draft_data, organization)
        forms_by_step[step.key] = form
        if not form.is_bound or not form.is_valid():
            invalid.append(step.key)
    if invalid:
        return None, forms_by_step, invalid
    use_case = forms_by_step["use_case"].cleaned_data
    people = forms_by_step["people"].cleaned_data
    deployment = (
        forms_by_step["deployment"].cleaned_data
        if "deployment" in forms_by_step
        else {
            "real_time": False,
            "camera": "none",
            "environment": "not_applicable",
            "countries": [],
        }
    )
    facts = {
        "organization": organization.as_party(),
        "acting_for": forms_by_step["parties"].parties(),
        "capabilities": forms_by_step["capabilities"].cleaned_data["capabilities"],
        "use_case": use_case["use_case"],
        "deployment": {
            "real_time": deployment["real_time"],
            "camera": deployment["camera"],
            "environment": deployment["environment"],
            "countries": deployment["countries"],
        },
        "gallery": people.get("gallery", "none"),
        "data_subjects": people["data_subjects"],
        "consent": people["consent"],
        "human_review": people["human_review"],
        "consequential_decisions": people["consequential_decisions"],
        "description": use_case["description"],
    }
    return facts, forms_by_step, []


def draft_data_from_facts(facts: dict, title: str) -> dict:
    """Return step input that reproduces the facts: for copies and re-attestation."""
    deployment = facts.get("deployment", {})
    parties = facts.get("acting_for", [])
    data = {
        "use_case": {
            "title": [title],
            "use_case": [facts["use_case"]],
            "description": [facts["description"]],
        },
        "parties": {
            "acting_for-TOTAL_FORMS": [str(max(3, len(parties)))],
            "acting_for-INITIAL_FORMS": ["0"],
            **{
                f"acting_for-{i}-{field}": [party.get(field) or ""]
                for i, party in enumerate(parties)
                for field in ("name", "country", "type")
            },
        },
        "capabilities": {"capabilities": list(facts["capabilities"])},
        "deployment": {
            "real_time": ["yes" if deployment.get("real_time") else "no"],
            "camera": [deployment.get("camera", "none")],
            "environment": [deployment.get("environment", "not_applicable")],
            "countries": [", ".join(deployment.get("countries", []))],
        },
        "people": {
            "gallery": [facts.get("gallery", "none")],
            "data_subjects": list(facts["data_subjects"]),
            "consent": [facts["consent"]],
            "human_review": ["yes" if facts["human_review"] else "no"],
            "consequential_decisions": list(facts.get("consequential_decisions", [])),
        },
    }
    return data
