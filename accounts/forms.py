"""Account, organization, member and invitation forms."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from config.tasks import enqueue_after_commit

from .models import SUBSCRIPTION_ID, Organization, OrganizationType, Role, User


def _helper(submit: str | None = None, *, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit:
        helper.add_input(Submit("submit", submit, css_class="btn-primary"))
    return helper


class PasswordFieldsMixin:
    def validate_new_password(self, user: User) -> None:
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)


class SignupForm(PasswordFieldsMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label="Your full name")
    email = forms.EmailField(max_length=254, label="Work email")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        strip=False,
        help_text="At least 12 characters; a long phrase is best. Common passwords are refused.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Create account")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Sign in instead.", code="taken"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_new_password(
            User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
        )
        return cleaned


class InvitedSignupForm(PasswordFieldsMixin, forms.Form):
    """Create the account an invitation is for; the invitation fixes the email address."""

    full_name = forms.CharField(max_length=150, label="Your full name")
    password = SignupForm.base_fields["password"]

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = _helper("Create account and join")

    def clean(self):
        cleaned = super().clean()
        if User.objects.filter(email__iexact=self.email).exists():
            raise forms.ValidationError("An account with this email exists: sign in to accept.")
        self.validate_new_password(User(email=self.email, full_name=cleaned.get("full_name", "")))
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses and laid out with crispy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.helper = _helper("Sign in")

    def clean_username(self) -> str:
        # Addresses are stored in lower case; let people type them as they like.
        return self.cleaned_data["username"].strip().lower()


class QueuedPasswordResetForm(PasswordResetForm):
    """Send reset links through a Celery task after commit, never inside the request."""

    def save(self, *args, **kwargs) -> None:
        from .tasks import send_password_reset_email

        for user in self.get_users(self.cleaned_data["email"]):
            enqueue_after_commit(send_password_reset_email, user.pk)


class OrganizationForm(forms.ModelForm):
    country = LazyTypedChoiceField(
        choices=[("", "Choose a country…"), *countries],
        help_text="Where the organization is established.",
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "country",
            "org_type",
            "website",
            "email_domain",
            "acts_for_end_customers",
        ]
        help_texts = {
            "org_type": "Police, other law enforcement and military organizations are assessed "
            "under stricter rules."
        }

    def __init__(self, *args, submit: str | None = "Create organization", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit, form_tag=submit is not None)

    def clean_email_domain(self) -> str:
        return self.cleaned_data["email_domain"].strip().lower()


class EndCustomerForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": "End customer name"}),
    )
    country = LazyTypedChoiceField(
        choices=[("", "—"), *countries],
        required=False,
        widget=forms.Select(attrs={"aria-label": "End customer country"}),
    )
    org_type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "—"), *OrganizationType.choices],
        widget=forms.Select(attrs={"aria-label": "End customer type"}),
    )

    def clean(self):
        cleaned = super().clean()
        filled = [cleaned.get(name) for name in ("name", "country", "org_type")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(
                "Give the end customer's name, country and type.", code="incomplete"
            )
        return cleaned


class SubscriptionForm(forms.Form):
    identifier = forms.CharField(
        max_length=36,
        required=False,
        label="Subscription or tenant ID",
        widget=forms.TextInput(
            attrs={
                "placeholder": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                "aria-label": "Subscription or tenant ID",
            }
        ),
    )
    label = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": "Subscription label"}),
    )

    def clean_identifier(self) -> str:
        identifier = self.cleaned_data["identifier"].strip().lower()
        if identifier and not SUBSCRIPTION_ID.match(identifier):
            raise forms.ValidationError(
                "Enter an ID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx "
                "(hexadecimal digits).",
                code="format",
            )
        return identifier


class _RowsFormSet(forms.BaseFormSet):
    key: str = ""

    def rows(self) -> list[dict]:
        return [
            {k: v for k, v in form.cleaned_data.items()}
            for form in self.forms
            if form.cleaned_data.get(self.key)
        ]


class EndCustomerRows(_RowsFormSet):
    key = "name"

    def clean(self):
        if any(self.errors):
            return
        keys = [(row["name"].lower(), row["country"]) for row in self.rows()]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError("Each end customer can be listed once per country.")


class SubscriptionRows(_RowsFormSet):
    key = "identifier"

    def clean(self):
        if any(self.errors):
            return
        seen = [form.cleaned_data.get("identifier") for form in self.forms]
        seen = [identifier for identifier in seen if identifier]
        if len(seen) != len(set(seen)):
            raise forms.ValidationError("Each subscription ID can be listed once.")


EndCustomerFormSet = forms.formset_factory(
    EndCustomerForm,
    formset=EndCustomerRows,
    extra=2,
    max_num=50,
    absolute_max=50,
    validate_max=True,
)
SubscriptionFormSet = forms.formset_factory(
    SubscriptionForm,
    formset=SubscriptionRows,
    extra=2,
    max_num=50,
    absolute_max=50,
    validate_max=True,
)


def rows_helper() -> FormHelper:
    helper = _helper(form_tag=False)
    helper.template = "bootstrap5/table_inline_formset.html"
    return helper


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Colleague's email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, can_grant_owner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_grant_owner:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]
        self.helper = _helper("Send invitation")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$",
        max_length=6,
        label="Code from your authenticator app",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Confirm")
