"""Sign-up and sign-in forms."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from .models import OrganizationType, User


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your full name")
    email = forms.EmailField(max_length=254, label="Work email")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 12 characters; avoid common passwords.",
    )
    organization_name = forms.CharField(max_length=200, label="Organization's legal name")
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        help_text="Two-letter ISO country code of the organization, e.g. US, GB, DE.",
        error_messages={"invalid": "Enter a two-letter country code such as US or GB."},
    )
    org_type = forms.ChoiceField(label="Organization type", choices=OrganizationType.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("About you", "full_name", "email", "password"),
            Fieldset("Your organization", "organization_name", "country", "org_type"),
            Submit("submit", "Create account", css_class="btn-primary"),
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Sign in instead.", code="taken"
            )
        return email

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses and laid out with crispy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Sign in", css_class="btn-primary"))
