"""The application form (it collects the facts) and the reviewer's decision form."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from accounts.models import OrganizationType
from reviews.decision import FactsError, parse_facts

from . import choices

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
    "acting_for": "end_customer_name",
}


def _yes_no(value: str) -> bool:
    return value == "yes"


class ApplicationForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="A short name for this use case.")
    end_customer_name = forms.CharField(
        max_length=200,
        required=False,
        label="End customer (if you build or operate this for someone else)",
        help_text="Leave empty when your organization is the end user.",
    )
    end_customer_country = forms.CharField(
        max_length=2, required=False, label="End customer's country", help_text="e.g. US, GB"
    )
    end_customer_type = forms.ChoiceField(
        required=False,
        label="End customer's type",
        choices=[("", "---------"), *OrganizationType.choices],
    )
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

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("The use case", "title", "use_case", "description"),
            Fieldset("For whom", "end_customer_name", "end_customer_country", "end_customer_type"),
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
            Submit("submit", "Submit application", css_class="btn-primary"),
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

    def clean_end_customer_country(self) -> str:
        code = self.cleaned_data["end_customer_country"].strip().upper()
        if code and not _COUNTRY.match(code):
            raise forms.ValidationError(
                "Enter a two-letter country code such as US.", code="country"
            )
        return code

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("end_customer_name", "").strip()
        if name and not (cleaned.get("end_customer_country") and cleaned.get("end_customer_type")):
            raise forms.ValidationError(
                "Give the end customer's country and type too.", code="end_customer_incomplete"
            )
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
        acting_for = []
        if cleaned.get("end_customer_name", "").strip():
            acting_for.append(
                {
                    "name": cleaned["end_customer_name"].strip(),
                    "country": cleaned["end_customer_country"],
                    "type": cleaned["end_customer_type"],
                }
            )
        return {
            "organization": self.organization.as_party(),
            "acting_for": acting_for,
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
