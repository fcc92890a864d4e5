"""Forms for reviewers' actions and the queue's filters, and applicants' answers and documents."""

import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django_countries import countries

from reviews import choices
from reviews.models import Application, Outcome, ReasonCode

from .widgets import FixedChoiceField, PrerenderedSelect


class Button(Submit):
    """A submit button whose colour the form chooses (crispy's Submit is always primary)."""

    field_classes = "btn"


class ReviewActionForm(forms.Form):
    """One reviewer action; the hidden token makes a replayed POST land on the first result."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    submit_label = "Save"
    submit_class = "btn-primary"

    def __init__(self, *args, application: Application, action: str, kind: str, **kwargs):
        kwargs.setdefault(
            "initial", {"idempotency_key": uuid.uuid4(), "version": application.version}
        )
        # Four forms share a page: ids carry the action so each label finds its own field.
        kwargs.setdefault("auto_id", f"id_{kind}_%s")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.form_id = f"form-{kind}"
        self.helper.add_input(
            Button(
                "submit", self.submit_label, css_class=self.submit_class, css_id=f"submit-{kind}"
            )
        )


def _required_text(label: str, message: str, *, rows: int = 3, help_text: str = ""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=5000,
        error_messages={"required": message},
    )


class ApproveForm(ReviewActionForm):
    submit_label, submit_class = "Approve", "btn-success"
    reason = _required_text("Message to the applicant", "Give the reason for the approval.")
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        required=False,
        help_text="Conditions the applicant must keep, if any (shown to them).",
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Leave empty for the standard {settings.APPROVAL_VALIDITY_DAYS} days.",
    )


def _bounded_ids(clean):
    """Refuse ids no database integer can hold before they reach a query (SQLite overflows)."""

    def bounded(value):
        for item in value or []:
            text = str(item)
            if not (text.isascii() and text.isdigit() and int(text) < 2**63):
                raise forms.ValidationError("Choose from the list.", code="invalid_choice")
        return clean(value)

    return bounded


class DenyForm(ReviewActionForm):
    submit_label, submit_class = "Deny", "btn-danger"
    reason_codes = forms.ModelMultipleChoiceField(
        queryset=ReasonCode.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reason code."},
    )
    reason = _required_text("Message to the applicant", "Write a message to the applicant.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason_codes"]
        field.clean = _bounded_ids(field.clean)
        # Read once: the review page's rendered-form cache reads the same codes again.
        if not field.queryset:
            # Nothing to choose: say so rather than demand the impossible.
            field.required = False
            field.help_text = (
                "Policy staff have defined no reason codes yet (Django admin, Reason codes)."
            )


class EscalateForm(ReviewActionForm):
    submit_label, submit_class = "Escalate", "btn-outline-secondary"
    note = _required_text(
        "Note to senior reviewers", "Say why you escalate.", help_text="Not shown to the applicant."
    )


class RequestInfoForm(ReviewActionForm):
    submit_label, submit_class = "Send questions", "btn-warning"
    questions = _required_text(
        "Questions",
        "Write the questions.",
        rows=4,
        help_text="The applicant reads these in the portal and by email.",
    )


SELECT_CSS = {"class": "form-select form-select-sm"}
INPUT_CSS = {"class": "form-control form-control-sm"}


def _select(choices) -> FixedChoiceField:
    return FixedChoiceField(required=False, choices=choices, widget=PrerenderedSelect(SELECT_CSS))


class QueueFilterForm(forms.Form):
    """The queue's filters; they live in the URL, so a filtered view can be bookmarked.

    The organization is typed, not chosen from a list of every customer: part of its name
    (any case), or its id, which URLs made for the old list carry.
    """

    status = _select(
        [("", "Actionable")]
        + [
            (s, Application.Status(s).label)
            for s in ("submitted", "in_review", "escalated", "info_requested")
        ]
    )
    outcome = _select([("", "Any outcome"), *Outcome.choices])
    rule = forms.RegexField(
        regex=r"^[A-Z0-9-]{1,64}$",
        required=False,
        label="Rule hit",
        widget=forms.TextInput(attrs=INPUT_CSS),
    )
    capability = _select([("", "Any"), *choices.CAPABILITIES])
    country = _select([("", "Any"), *countries])
    organization = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={**INPUT_CSS, "placeholder": "Name or part of it"}),
    )
    assignee = forms.CharField(required=False, max_length=12, widget=forms.TextInput(INPUT_CSS))
    older_than = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=3650,
        label="Older than (days)",
        widget=forms.NumberInput(attrs=INPUT_CSS),
    )
    sort = _select(
        [
            ("risk", "Risk score"),
            ("sla", "SLA due"),
            ("submitted", "Oldest first"),
            ("newest", "Newest first"),
        ]
    )

    # Set by the view when the typed organization matches none the reviewer may see.
    organization_unmatched = False

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        if value and value not in ("me", "none") and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError("Choose me, none, or a reviewer.")
        return value

    def filters(self) -> dict:
        """Return the valid filters; an invalid one is explained on the page and left out."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {key: value for key, value in cleaned.items() if value not in (None, "")}

    def mark_organization_unmatched(self) -> None:
        """Say, next to the field, that no organization matches what was typed."""
        self.organization_unmatched = True
        self.fields["organization"].widget.attrs["aria-describedby"] = "id_organization_unmatched"


class AnswerForm(forms.Form):
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        error_messages={"required": "Write your answer."},
        help_text="If your answer changes the facts, correct them in the steps of the "
        "application first; this sends everything back for assessment.",
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", "Send answer", css_class="btn-primary"))

    def clean_answer(self) -> str:
        answer = self.cleaned_data["answer"].strip()
        if not answer:
            raise forms.ValidationError("Write your answer.", code="required")
        return answer


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Supporting document",
        help_text="PDF, PNG or JPEG, up to %(mb)s MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        mb = settings.DOCUMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = self.fields["file"].help_text % {"mb": mb}
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Button("submit", "Upload", css_class="btn-outline-primary"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                "This file is %(size)s MB; the limit is %(mb)s MB.",
                code="too_large",
                params={
                    "size": f"{upload.size / 1048576:.1f}",
                    "mb": settings.DOCUMENT_MAX_BYTES // 1048576,
                },
            )
        return upload
