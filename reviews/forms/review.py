"""Forms for reviewers' actions and applicants' answers and documents."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings


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


class RequestInfoForm(forms.Form):
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="The applicant reads these and answers in the portal; they also get an email.",
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", "Send questions", css_class="btn-warning"))

    def clean_questions(self) -> str:
        questions = self.cleaned_data["questions"].strip()
        if not questions:
            raise forms.ValidationError("Write the questions.", code="required")
        return questions


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
        self.helper.add_input(Submit("submit", "Upload", css_class="btn-outline-primary"))

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
