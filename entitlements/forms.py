"""Forms of the customer portal's API access page: name a key, register a webhook endpoint."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.validators import MaxLengthValidator
from django.urls import reverse

from .models import ApiKey, WebhookEndpoint

KEY_NAME_MAX = ApiKey._meta.get_field("name").max_length
URL_MAX = WebhookEndpoint._meta.get_field("url").max_length


def _helper(action: str, submit: str, name: str) -> FormHelper:
    helper = FormHelper()
    helper.form_action = action
    # Distinct names: crispy derives the button's id from it, and both forms share the page.
    helper.add_input(Submit(name, submit, css_class="btn-primary"))
    return helper


class ApiKeyForm(forms.Form):
    # The limit is a validator rather than max_length, so the input carries no maxlength
    # attribute: a browser would silently cut a pasted name, and the point is to say so.
    name = forms.CharField(
        label="Key name",
        validators=[
            MaxLengthValidator(
                KEY_NAME_MAX,
                message="Use at most %(limit_value)d characters for the name "
                "(this one has %(show_value)d).",
            )
        ],
        error_messages={"required": "Name the key, so you can tell it apart later."},
        help_text=f"Where the key is used, such as “Billing service (production)”. "
        f"Up to {KEY_NAME_MAX} characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(reverse("api_access:key_create"), "Create key", "create_key")


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        assume_scheme="https",
        validators=[
            MaxLengthValidator(
                URL_MAX,
                message="Use an address of at most %(limit_value)d characters "
                "(this one has %(show_value)d).",
            )
        ],
        error_messages={
            "required": "Enter the https address that should receive the events.",
            "invalid": "Enter a full address, such as https://hooks.example.com/gatehouse.",
        },
        help_text="An https address on the public internet. Every delivery is signed.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            reverse("api_access:webhook_create"), "Add endpoint", "create_webhook"
        )
