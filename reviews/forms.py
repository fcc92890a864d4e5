"""The application form (it collects the facts) and the reviewer's decision form."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from accounts.models import OrganizationType
from reviews.decision import FactsError, parse_facts

from . import choices
from .models import Capability

YES_NO = [("yes", "Yes"), ("no", "No")]
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# Where each facts path is shown in the form, so an engine error lands next to its field.
_FIELD_FOR_PATH = {
    "capabilities": "capabilities",
    "use_case": "use_case",
    "deployment.real_time": "real_time",
    "deployment.camera": "camera",
    "deployment.environment": "environment",
    "deployment.countries": "countries",
    "gallery": "gallery",
    "data_subjects": "data_subjects",
    "consent": "consent",
    "human_review": "human_review",
    "consequential_decisions": "consequential_decisions",
    "description": "description",
}


def capability_choices() -> list[tuple[str, str]]:
    """Return the active capabilities of the catalogue policy staff keep, labelled for customers."""
    rows = list(Capability.objects.values_list("code", "label", "description", "active"))
    if not rows:  # an empty catalogue falls back to the built-in labels
        return choices.CAPABILITIES
    return [
        (code, f"{label}: {description}" if description else label)
        for code, label, description, active in rows
        if active
    ]


def _yes_no(value: str) -> bool:
    return value == "yes"


class ApplicationForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="A short name for this use case.")
    capabilities = forms.MultipleChoiceField(
        choices=choices.CAPABILITIES, widget=forms.CheckboxSelectMultiple
    )
    use_case = forms.ChoiceField(
        choices=choices.USE_CASES,
        help_text="The first nine are the approved face-recognition use cases.",
    )
    real_time = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        label="Does the system process live or near-real-time video?",
    )
    camera = forms.ChoiceField(choices=choices.CAMERAS, label="Source of images")
    environment = forms.ChoiceField(choices=choices.ENVIRONMENTS)
    countries = forms.CharField(
        max_length=300,
        required=False,
        label="Countries of deployment",
        help_text="Two-letter codes separated by commas, e.g. GB, IE.",
    )
    gallery = forms.ChoiceField(choices=choices.GALLERIES, label="What faces are matched against")
    data_subjects = forms.MultipleChoiceField(
        choices=choices.DATA_SUBJECTS,
        widget=forms.CheckboxSelectMultiple,
        label="Whose faces or data are processed",
    )
    consent = forms.ChoiceField(choices=choices.CONSENT)
    human_review = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        label="Does a trained person review every consequential output before it affects someone?",
    )
    consequential_decisions = forms.MultipleChoiceField(
        choices=choices.CONSEQUENTIAL_DECISIONS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Areas where the output affects people's legal position or life opportunities",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text="In your own words: what the system does, where, and for whom.",
    )

    def __init__(self, *args, organization, acting_for: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.acting_for = acting_for
        self.fields["capabilities"].choices = capability_choices()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("The use case", "title", "use_case", "description"),
            Fieldset("Capabilities", "capabilities"),
            Fieldset("Deployment", "real_time", "camera", "environment", "countries"),
            Fieldset(
                "People and safeguards",
                "gallery",
                "data_subjects",
                "consent",
                "human_review",
                "consequential_decisions",
            ),
        )
        self.helper.form_tag = False

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

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.facts = parse_facts(self._facts(cleaned)).to_dict()
        except FactsError as error:
            for path, message in error.errors:
                field = _FIELD_FOR_PATH.get(path.split("[")[0])
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def _facts(self, cleaned) -> dict:
        return {
            "organization": self.organization.as_party(),
            "acting_for": self.acting_for,
            "capabilities": cleaned["capabilities"],
            "use_case": cleaned["use_case"],
            "deployment": {
                "real_time": cleaned["real_time"],
                "camera": cleaned["camera"],
                "environment": cleaned["environment"],
                "countries": cleaned["countries"],
            },
            "gallery": cleaned["gallery"],
            "data_subjects": cleaned["data_subjects"],
            "consent": cleaned["consent"],
            "human_review": cleaned["human_review"],
            "consequential_decisions": cleaned["consequential_decisions"],
            "description": cleaned["description"],
        }


class EndCustomerForm(forms.Form):
    """One end customer the applicant builds or operates the system for."""

    name = forms.CharField(max_length=200, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="e.g. US, GB")
    type = forms.ChoiceField(required=False, choices=[("", "---------"), *OrganizationType.choices])

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

    def party(self) -> dict | None:
        """Return the end customer as a party of the facts format, or None for an empty row."""
        if not self.cleaned_data.get("name"):
            return None
        return {
            "name": self.cleaned_data["name"].strip(),
            "country": self.cleaned_data["country"],
            "type": self.cleaned_data["type"],
        }


class BaseEndCustomerFormSet(forms.BaseFormSet):
    def parties(self) -> list[dict]:
        return [party for form in self.forms if (party := form.party()) is not None]


EndCustomerFormSet = forms.formset_factory(
    EndCustomerForm, formset=BaseEndCustomerFormSet, extra=3, max_num=20, validate_max=True
)


def end_customer_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.template = "bootstrap5/table_inline_formset.html"
    return helper


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Reason (shown to the applicant)",
    )

    def __init__(self, *args, submit_label: str, submit_class: str, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", submit_label, css_class=submit_class))

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason.", code="required")
        return reason
