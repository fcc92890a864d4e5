"""Rendered once, not per request: the queue's selects (PrerenderedSelect, Django's
select byte for byte) and the review page's action forms (crispy's, with stand-ins)."""

import copy
import re

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from reviews.forms import QueueFilterForm
from reviews.forms.widgets import FixedChoiceField, PrerenderedSelect
from reviews.models import Application, ReasonCode
from reviews.views import reviewer as views

CHOICES = [
    ("", "Any"),
    *countries,
    ('"><script>x</script>', "A <b>bold</b> & \"quoted\" 'label'"),
    (None, "No value"),
    (7, "Seven"),
    ("GB", "A second GB, never selected"),
]
ATTRS = {"class": "form-select form-select-sm", "data-on": True, "hidden": False}


def both(value, attrs=None, choices=CHOICES):
    django = forms.Select(attrs=ATTRS, choices=choices).render("country", value, attrs)
    ours = PrerenderedSelect(attrs=ATTRS, choices=choices).render("country", value, attrs)
    return django, ours


@pytest.mark.parametrize(
    "value",
    [None, "", "GB", "FR", "ZZ", 7, "7", '"><script>x</script>', ["FR", "GB"], ["GB", "FR"], []],
)
def test_it_renders_what_djangos_select_renders(value):
    django, ours = both(value, {"id": "id_country", "aria-describedby": "hint & more"})

    assert ours == django


def test_it_marks_the_selected_option_by_value():
    _, ours = both("GB")

    assert '<option value="GB" selected>United Kingdom</option>' in ours
    assert ours.count(" selected>") == 1
    assert '<option value="" selected>' not in ours


def test_it_selects_the_empty_choice_without_a_value():
    _, ours = both(None)

    assert '<option value="" selected>Any</option>' in ours


def test_it_escapes_values_labels_and_attributes():
    _, ours = both('"><script>x</script>', {"id": 'x"><b'})

    assert "<script>" not in ours
    assert (
        '<option value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;" selected>'
        "A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;label&#x27;</option>"
    ) in ours
    assert 'id="x&quot;&gt;&lt;b"' in ours


def test_it_renders_again_when_the_choices_change():
    widget = PrerenderedSelect(choices=[("a", "A")])
    widget.render("x", "a")

    widget.choices = [("b", "B")]

    assert widget.render("x", "b") == forms.Select(choices=[("b", "B")]).render("x", "b")


def test_copies_share_one_rendering():
    widget = PrerenderedSelect(choices=CHOICES)
    widget.render("x", None)

    twin = copy.deepcopy(widget)

    assert twin._rendered is widget._rendered
    assert twin._options() is widget._options()


def test_it_renders_per_language():
    choices = [("a", translation.gettext_lazy("Yes"))]
    widget = PrerenderedSelect(choices=choices)

    with translation.override("de"):
        german = widget.render("x", None)
    english = widget.render("x", None)

    assert ">Ja</option>" in german
    assert ">Yes</option>" in english


def test_it_leaves_option_groups_to_django():
    choices = [("", "Any"), ("Europe", [("FR", "France"), ("GB", "United Kingdom")])]

    django, ours = both("GB", choices=choices)

    assert ours == django
    assert "<optgroup" in ours


def test_the_queue_filter_renders_each_select_as_django_would():
    form = QueueFilterForm({"country": "JP", "status": "escalated", "sort": "sla"})
    form.is_valid()

    for name in ("status", "outcome", "capability", "country", "sort"):
        field = form.fields[name]
        django = forms.Select(attrs=field.widget.attrs, choices=field.choices)
        bound = form[name]

        assert isinstance(field.widget, PrerenderedSelect)
        assert bound.as_widget() == bound.as_widget(widget=django)


def test_a_fixed_choice_field_shares_its_choices_with_its_copies():
    field = FixedChoiceField(choices=CHOICES)

    twin = copy.deepcopy(field)
    twin.choices = [("a", "A")]

    assert copy.deepcopy(field).choices is field.choices
    assert copy.deepcopy(field).widget.choices is field.widget.choices
    assert field.widget.render("x", "GB") == forms.Select(choices=CHOICES).render("x", "GB")
    assert twin.widget.render("x", "a") == forms.Select(choices=[("a", "A")]).render("x", "a")
    assert twin.valid_value("a") and not field.valid_value("a")


# The review page's action forms


@pytest.fixture
def in_review(applicant, submit):
    return submit(applicant, "Selfie check")


@pytest.mark.parametrize("kind", ["approve", "deny", "escalate", "request_info"])
def test_an_action_form_renders_as_crispy_renders_it_every_time(in_review, kind):
    for _ in range(3):  # the first renders the stand-in, the others reuse it
        form = views._forms(in_review)[kind]

        html = views._form_html(form, kind, in_review, "token-1")

        assert html == render_crispy_form(form, context={"csrf_token": "token-1"})
        assert str(form.initial["idempotency_key"]) in html


def test_a_denial_offers_the_reason_codes_as_they_are_now(in_review):
    views._form_html(views._forms(in_review)["deny"], "deny", in_review, "t")
    ReasonCode.objects.filter(code="EMOTION").update(title="Reading <moods>")
    ReasonCode.objects.create(code="NEW-CODE", title="A code added since")
    form = views._forms(in_review)["deny"]

    html = views._form_html(form, "deny", in_review, "t")

    assert html == render_crispy_form(form, context={"csrf_token": "t"})
    assert "EMOTION: Reading &lt;moods&gt;" in html
    assert "NEW-CODE: A code added since" in html


def test_a_refused_action_shows_its_errors_and_what_was_typed(reviewer_client, in_review):
    url = reverse("reviews:review_deny", args=[in_review.pk])

    response = reviewer_client.post(
        url, {"idempotency_key": "x", "version": in_review.version, "reason": "<i>why</i>"}
    )

    assert response.status_code == 400
    assert "Choose at least one reason code." in response.text
    assert "&lt;i&gt;why&lt;/i&gt;</textarea>" in response.text


def _hidden(html: str, form_id: str, name: str) -> str:
    form = html[html.index(f'id="{form_id}"') :]
    return re.search(rf'name="{name}" value="([^"]*)"', form).group(1)


def test_each_page_gets_its_own_keys_and_a_working_token(reviewer, in_review):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    url = reverse("reviews:review_detail", args=[in_review.pk])

    first, second = client.get(url).text, client.get(url).text

    keys = {_hidden(page, "form-escalate", "idempotency_key") for page in (first, second)}
    assert len(keys) == 2
    assert _hidden(second, "form-escalate", "version") == str(in_review.version)
    action = reverse("reviews:review_escalate", args=[in_review.pk])
    assert f'<form  action="{action}" id="form-escalate"' in second
    response = client.post(
        action,
        {
            "csrfmiddlewaretoken": _hidden(second, "form-escalate", "csrfmiddlewaretoken"),
            "idempotency_key": _hidden(second, "form-escalate", "idempotency_key"),
            "version": _hidden(second, "form-escalate", "version"),
            "note": "Needs a senior look.",
        },
    )
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Application.Status.ESCALATED
