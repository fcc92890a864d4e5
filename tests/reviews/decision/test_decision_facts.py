"""The facts parser: exactly facts.schema.json v1, every error with its field path."""

from __future__ import annotations

import json

import pytest

from reviews.decision import Deployment, Facts, FactsError, Party, parse_facts

from .builders import BASE_FACTS, facts_data


def test_it_parses_facts_into_frozen_dataclasses():
    facts = parse_facts(facts_data(acting_for=[{"country": "US", "type": "police"}]))

    assert facts.organization == Party(name="Acme Copy Ltd", country="GB", type="commercial")
    assert facts.acting_for == (Party(country="US", type="police"),)
    assert facts.deployment == Deployment(
        real_time=False, camera="none", environment="not_applicable", countries=("GB",)
    )
    assert facts.capabilities == ("text_generation",)
    assert facts.parties == (facts.organization, *facts.acting_for)
    with pytest.raises(AttributeError):
        facts.use_case = "research"


def test_it_fills_defaults_for_optional_fields():
    data = facts_data()
    for key in ("id", "acting_for", "gallery", "consequential_decisions"):
        del data[key]
    del data["deployment"]["countries"]

    facts = parse_facts(data)

    assert facts.id is None
    assert facts.acting_for == ()
    assert facts.gallery == "none"
    assert facts.consequential_decisions == ()
    assert facts.deployment.countries == ()


def test_it_round_trips_through_to_dict():
    facts = parse_facts(facts_data(acting_for=[{"name": "X", "country": "US", "type": "police"}]))

    data = facts.to_dict()

    assert parse_facts(data) == facts
    assert list(data) == list(BASE_FACTS)
    assert json.dumps(data) == json.dumps(parse_facts(json.loads(json.dumps(data))).to_dict())


def test_it_leaves_out_an_absent_id_and_party_name():
    data = facts_data(organization={"country": "GB", "type": "commercial"})
    del data["id"]

    canonical = parse_facts(data).to_dict()

    assert "id" not in canonical
    assert canonical["organization"] == {"country": "GB", "type": "commercial"}


def _errors(data) -> list[tuple[str, str]]:
    with pytest.raises(FactsError) as caught:
        parse_facts(data)
    return caught.value.errors


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"colour": "red"}, "colour", "unknown field; allowed fields are: id, organization, "),
        (
            {"deployment": {"zoom": 3}},
            "deployment.zoom",
            "unknown field; allowed fields are: real_time, camera, environment, countries",
        ),
        (
            {"organization": {"country": "GB", "type": "commercial", "size": 3}},
            "organization.size",
            "unknown field",
        ),
        (
            {"deployment": {"camera": "bodycam"}},
            "deployment.camera",
            "'bodycam' is not one of: none, fixed, body_worn, dash_mounted, handheld, drone, "
            "user_device",
        ),
        ({"use_case": "spying"}, "use_case", "'spying' is not one of: identity_verification"),
        ({"use_case": None}, "use_case", "null is not one of"),
        ({"capabilities": ["face_detection", "x"]}, "capabilities[1]", "'x' is not one of"),
        (
            {"organization": {"country": "usa", "type": "police"}},
            "organization.country",
            "'usa' is not a 2-letter ISO 3166-1 code such as US",
        ),
        (
            {"acting_for": [{"country": "us", "type": "police"}]},
            "acting_for[0].country",
            "'us' is not a 2-letter ISO 3166-1 code",
        ),
        ({"deployment": {"countries": ["GB", "G1"]}}, "deployment.countries[1]", "'G1' is not"),
        ({"organization": {"country": "US\n", "type": "police"}}, "organization.country", "is not"),
        ({"human_review": "yes"}, "human_review", "expected true or false, got string 'yes'"),
        ({"human_review": 1}, "human_review", "expected true or false, got integer 1"),
        ({"deployment": {"real_time": 0}}, "deployment.real_time", "expected true or false"),
        ({"capabilities": []}, "capabilities", "must list at least one value"),
        ({"data_subjects": []}, "data_subjects", "must list at least one value"),
        (
            {"capabilities": ["face_detection", "face_redaction", "face_detection"]},
            "capabilities[2]",
            "'face_detection' is listed more than once (first at capabilities[0])",
        ),
        (
            {"consequential_decisions": ["legal", "legal"]},
            "consequential_decisions[1]",
            "listed more than once",
        ),
        ({"capabilities": "face_detection"}, "capabilities", "expected an array, got string"),
        ({"acting_for": {}}, "acting_for", "expected an array, got object"),
        ({"acting_for": ["police"]}, "acting_for[0]", "expected a JSON object, got string"),
        ({"deployment": None}, "deployment", "expected a JSON object, got null"),
        ({"id": 5}, "id", "expected a string, got integer 5"),
        ({"description": "x" * 10_001}, "description", "the maximum is 10000"),
    ],
)
def test_it_refuses_malformed_facts_with_the_field_path(changes, path, message):
    errors = _errors(facts_data(**changes))

    assert any(p == path and message in m for p, m in errors), errors


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("use_case", "use_case"),
        ("human_review", "human_review"),
        ("description", "description"),
        ("organization", "organization"),
    ],
)
def test_it_reports_missing_required_fields(key, path):
    data = facts_data()
    del data[key]

    assert _errors(data) == [(path, "required field is missing")]


def test_it_reports_missing_nested_required_fields():
    data = facts_data(organization={"name": "Nameless"})
    del data["deployment"]["camera"]

    assert _errors(data) == [
        ("organization.country", "required field is missing"),
        ("organization.type", "required field is missing"),
        ("deployment.camera", "required field is missing"),
    ]


def test_it_collects_every_error_and_joins_them_readably():
    data = facts_data(colour="red", use_case="spying", human_review="no")

    with pytest.raises(FactsError) as caught:
        parse_facts(data)

    paths = [path for path, _ in caught.value.errors]
    assert sorted(paths) == ["colour", "human_review", "use_case"]
    assert "use_case: 'spying' is not one of:" in str(caught.value)
    assert "; " in str(caught.value)


def test_it_accepts_the_maximum_description_length():
    assert len(parse_facts(facts_data(description="x" * 10_000)).description) == 10_000


@pytest.mark.parametrize("data", [None, [], "facts", 3])
def test_it_refuses_a_document_that_is_not_an_object(data):
    assert _errors(data) == [("", f"expected a JSON object, got {_json_type(data)}")]


def _json_type(value) -> str:
    return {type(None): "null", list: "array", str: "string 'facts'", int: "integer 3"}[type(value)]


def test_it_shortens_huge_values_in_messages():
    (_, message), *_ = _errors(facts_data(use_case="x" * 5000))

    assert len(message) < 600


def test_facts_is_a_frozen_dataclass():
    assert Facts.__dataclass_params__.frozen
    assert Party.__dataclass_params__.frozen
    assert Deployment.__dataclass_params__.frozen
