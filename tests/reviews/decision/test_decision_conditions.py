"""The condition language: every operator, every kind of malformed condition, rendering."""

from __future__ import annotations

import pytest

from reviews.decision import ConditionError, describe_condition, validate_condition, vocabulary

from .builders import evaluate_condition

POLICE_US = {"name": "Port Calloway PD", "country": "US", "type": "police"}
VENDOR_US = {"name": "Bastion LLC", "country": "US", "type": "commercial"}
FR = {"intersects": ["capabilities", "@fr_capabilities"]}

# (condition, changes to the base facts, whether it holds)
OPERATOR_CASES = [
    ({"eq": ["use_case", "content_generation"]}, {}, True),
    ({"eq": ["use_case", "research"]}, {}, False),
    ({"eq": ["human_review", True]}, {}, True),
    ({"eq": ["human_review", False]}, {}, False),
    ({"eq": ["deployment.real_time", False]}, {}, True),
    ({"eq": ["organization.country", "GB"]}, {}, True),
    ({"in": ["deployment.camera", "@mobile_cameras"]}, {"deployment": {"camera": "drone"}}, True),
    ({"in": ["deployment.camera", "@mobile_cameras"]}, {"deployment": {"camera": "fixed"}}, False),
    ({"in": ["consent", ["none", "notice_only"]]}, {"consent": "notice_only"}, True),
    ({"in": ["consent", ["none", "notice_only"]]}, {}, False),
    ({"contains": ["data_subjects", "minors"]}, {"data_subjects": ["students", "minors"]}, True),
    ({"contains": ["data_subjects", "minors"]}, {}, False),
    ({"contains": ["deployment.countries", "GB"]}, {}, True),
    (FR, {"capabilities": ["face_detection", "celebrity_recognition"]}, True),
    (FR, {"capabilities": ["face_detection"]}, False),
    ({"intersects": ["capabilities", ["text_generation"]]}, {}, True),
    ({"empty": "consequential_decisions"}, {}, True),
    ({"empty": "consequential_decisions"}, {"consequential_decisions": ["credit"]}, False),
    ({"empty": "acting_for"}, {}, True),
    ({"empty": "acting_for"}, {"acting_for": [POLICE_US]}, False),
    ({"not": {"eq": ["use_case", "research"]}}, {}, True),
    ({"not": {"eq": ["use_case", "content_generation"]}}, {}, False),
    ({"all": [{"eq": ["consent", "explicit"]}, {"eq": ["gallery", "none"]}]}, {}, True),
    ({"all": [{"eq": ["consent", "explicit"]}, {"eq": ["gallery", "watchlist"]}]}, {}, False),
    ({"any": [{"eq": ["consent", "none"]}, {"eq": ["gallery", "none"]}]}, {}, True),
    ({"any": [{"eq": ["consent", "none"]}, {"eq": ["gallery", "watchlist"]}]}, {}, False),
    ({"some_party": {"eq": ["type", "police"]}}, {"acting_for": [POLICE_US]}, True),
    ({"some_party": {"eq": ["type", "police"]}}, {"organization": POLICE_US}, True),
    ({"some_party": {"eq": ["type", "police"]}}, {"organization": VENDOR_US}, False),
    (
        {"some_party": {"all": [{"eq": ["type", "police"]}, {"eq": ["country", "GB"]}]}},
        {"organization": VENDOR_US, "acting_for": [POLICE_US]},
        False,
    ),
    ({"some_party": {"in": ["type", "@law_enforcement"]}}, {"acting_for": [POLICE_US]}, True),
    ({"some_party": {"text_any": ["name", ["port calloway"]]}}, {"acting_for": [POLICE_US]}, True),
    ({"text_any": ["description", ["product descriptions"]]}, {}, True),
    ({"text_any": ["description", ["PRODUCT-descriptions!"]]}, {}, True),
    ({"text_any": ["description", ["product desc"]]}, {}, False),
    ({"text_any": ["organization.name", ["acme"]]}, {}, True),
]


@pytest.mark.parametrize(("condition", "changes", "holds"), OPERATOR_CASES)
def test_it_evaluates_each_operator(condition, changes, holds):
    validate_condition(condition)

    assert (evaluate_condition(condition, **changes) is not None) is holds


@pytest.mark.parametrize(
    ("condition", "changes", "witnesses"),
    [
        (
            FR,
            {"capabilities": ["face_detection", "face_identification"]},
            [("capabilities", "face_identification")],
        ),
        ({"eq": ["human_review", True]}, {}, [("human_review", "true")]),
        ({"in": ["consent", ["explicit", "none"]]}, {}, [("consent", "explicit")]),
        ({"contains": ["data_subjects", "customers"]}, {}, [("data_subjects", "customers")]),
        ({"not": {"eq": ["consent", "none"]}}, {}, []),
        (
            {"some_party": {"eq": ["type", "police"]}},
            {"organization": VENDOR_US, "acting_for": [POLICE_US]},
            [("party", "Port Calloway PD, a police department in US")],
        ),
        (
            {"any": [{"eq": ["consent", "explicit"]}, {"eq": ["gallery", "none"]}]},
            {},
            [("consent", "explicit"), ("gallery", "none")],
        ),
        (
            {"text_any": ["description", ["online shop", "draft", "nothing here"]]},
            {},
            [("description", "online shop"), ("description", "draft")],
        ),
    ],
)
def test_it_reports_the_facts_that_made_a_condition_true(condition, changes, witnesses):
    assert list(evaluate_condition(condition, **changes).witnesses) == witnesses


def test_it_refers_to_earlier_rules_by_id_and_by_outcome():
    from reviews.decision import compile_policy, evaluate, parse_facts, parse_policy

    from .builders import NOW, facts_data, policy_data, rule_data

    doc = policy_data(
        rule_data("FIRST", {"eq": ["use_case", "research"]}, outcome="prohibited", weight=100),
        rule_data("SECOND", {"fired": "FIRST"}),
        rule_data("THIRD", {"not": {"outcome_fired": "prohibited"}}),
    )
    policy = compile_policy(parse_policy(doc))

    research = evaluate(policy, parse_facts(facts_data(use_case="research")), now=NOW)
    other = evaluate(policy, parse_facts(facts_data()), now=NOW)

    assert research.rules == ("FIRST", "SECOND")
    assert other.rules == ("THIRD",)


MALFORMED = [
    ("not an object", "$", "must be a JSON object with one operator"),
    ({}, "$", "exactly one operator, got: none"),
    ({"all": [], "any": []}, "$", "exactly one operator, got: all, any"),
    ({"xor": []}, "$", "unknown operator 'xor'; operators are: all, any, not, eq"),
    ({"all": []}, "$.all", "expected an array of 1 to 50 conditions"),
    ({"all": {"eq": ["use_case", "other"]}}, "$.all", "expected an array of 1 to 50 conditions"),
    ({"all": [{"eq": ["use_case", "other"]}, 3]}, "$.all[1]", "got integer 3"),
    ({"eq": ["use_case"]}, "$.eq", "takes an array of exactly two items"),
    ({"eq": ["use_case", "other", "x"]}, "$.eq", "takes an array of exactly two items"),
    ({"eq": ["deployment.cam", "fixed"]}, "$.eq[0]", "unknown fact 'deployment.cam'; facts are:"),
    ({"eq": [7, "fixed"]}, "$.eq[0]", "expected a fact name, got integer 7"),
    (
        {"eq": ["deployment.camera", "bodycam"]},
        "$.eq[1]",
        "'bodycam' is not a value of deployment.camera; allowed values are: none, fixed, "
        "body_worn, dash_mounted, handheld, drone, user_device",
    ),
    ({"eq": ["human_review", "no"]}, "$.eq[1]", "human_review is true or false, got string 'no'"),
    ({"eq": ["organization.country", "usa"]}, "$.eq[1]", "'usa' is not a 2-letter ISO 3166-1"),
    ({"eq": ["capabilities", "face_detection"]}, "$.eq[0]", "eq does not apply to capabilities"),
    (
        {"contains": ["use_case", "research"]},
        "$.contains[0]",
        "contains does not apply to use_case",
    ),
    ({"in": ["use_case", []]}, "$.in[1]", "expected an array of 1 to 50 values or a group"),
    ({"in": ["use_case", ["research", "research"]]}, "$.in[1]", "values must be distinct"),
    (
        {"in": ["use_case", ["research", "spying"]]},
        "$.in[1][1]",
        "'spying' is not a value of use_case",
    ),
    (
        {"in": ["use_case", "@nope"]},
        "$.in[1]",
        "unknown group '@nope'; groups are: @fr_capabilities",
    ),
    (
        {"intersects": ["capabilities", "@law_enforcement"]},
        "$.intersects[1]",
        "group @law_enforcement holds party_type values, which capabilities cannot take",
    ),
    ({"empty": "use_case"}, "$.empty", "empty does not apply to use_case"),
    ({"some_party": {"eq": ["capabilities", "x"]}}, "$.some_party.eq[0]", "is not a party fact"),
    ({"eq": ["type", "police"]}, "$.eq[0]", "party facts are used inside some_party"),
    (
        {"some_party": {"some_party": {"eq": ["type", "police"]}}},
        "$.some_party.some_party",
        "some_party cannot be used inside some_party",
    ),
    (
        {"some_party": {"fired": "X"}},
        "$.some_party.fired",
        "fired cannot be used inside some_party",
    ),
    ({"fired": "lower-case"}, "$.fired", "expected a rule id such as US-POLICE-FR"),
    ({"outcome_fired": "denied"}, "$.outcome_fired", "'denied' is not an outcome: prohibited"),
    ({"text_any": ["use_case", ["x"]]}, "$.text_any[0]", "text_any does not apply to use_case"),
    ({"text_any": ["description", []]}, "$.text_any[1]", "expected an array of 1 to 200 phrases"),
    ({"text_any": ["description", ["x"] * 201]}, "$.text_any[1]", "1 to 200 phrases"),
    ({"text_any": ["description", ["a" * 81]]}, "$.text_any[1][0]", "at most 80 characters"),
    ({"text_any": ["description", ["a b c d e f g h i"]]}, "$.text_any[1][0]", "at most 8 words"),
    ({"text_any": ["description", ["?!"]]}, "$.text_any[1][0]", "at least one letter or digit"),
    ({"text_any": ["description", [3]]}, "$.text_any[1][0]", "a phrase must be a string"),
    (
        {"text_any": ["description", ["Face match", "face-match"]]},
        "$.text_any[1][1]",
        "repeats phrase [0] once normalised to 'face match'",
    ),
]


@pytest.mark.parametrize(("condition", "path", "message"), MALFORMED)
def test_it_refuses_malformed_conditions_with_path_and_reason(condition, path, message):
    with pytest.raises(ConditionError) as caught:
        validate_condition(condition)

    assert caught.value.path == path
    assert message in caught.value.message
    assert str(caught.value) == f"{path}: {caught.value.message}"


def test_it_refuses_excessive_nesting():
    condition = {"eq": ["use_case", "other"]}
    for _ in range(12):
        condition = {"not": condition}

    with pytest.raises(ConditionError, match="nest at most 12 levels"):
        validate_condition(condition)


def test_it_refuses_too_many_operators():
    leaves = [{"eq": ["use_case", "other"]}] * 50
    condition = {"all": [{"any": leaves} for _ in range(11)]}

    with pytest.raises(ConditionError, match="at most 500 operators"):
        validate_condition(condition)


def test_it_checks_fired_references_against_the_rules_listed_before():
    validate_condition({"fired": "EARLIER"}, rule_ids={"EARLIER"})

    with pytest.raises(ConditionError, match="unknown rule 'LATER'"):
        validate_condition({"fired": "LATER"}, rule_ids={"EARLIER"})


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        (
            {
                "all": [
                    {"intersects": ["capabilities", vocabulary.FR_CAPABILITIES]},
                    {
                        "some_party": {
                            "all": [{"eq": ["type", "police"]}, {"eq": ["country", "US"]}]
                        }
                    },
                ]
            },
            "ALL of:\n"
            "  - capabilities include any of face_verification, face_identification, "
            "celebrity_recognition\n"
            "  - some party is police in US",
        ),
        ({"not": {"empty": "consequential_decisions"}}, "consequential_decisions is not empty"),
        ({"not": {"fired": "R1"}}, "rule R1 did not fire"),
        ({"not": {"outcome_fired": "prohibited"}}, "no earlier prohibited rule fired"),
        ({"not": {"some_party": {"eq": ["type", "military"]}}}, "no party is military"),
        (
            {
                "any": [
                    {"eq": ["consent", "none"]},
                    {"all": [{"eq": ["gallery", "none"]}, {"eq": ["human_review", False]}]},
                ]
            },
            "consent is none OR (gallery is none AND human_review is false)",
        ),
        (
            {"not": {"any": [{"eq": ["consent", "none"]}, {"eq": ["gallery", "none"]}]}},
            "NOT (consent is none OR gallery is none)",
        ),
        (
            {"in": ["deployment.camera", "@mobile_cameras"]},
            "deployment.camera is one of @mobile_cameras "
            "(body_worn, dash_mounted, handheld, drone)",
        ),
        ({"text_any": ["description", ["a", "b"]]}, "description mentions any of 'a', 'b'"),
        (
            {"text_any": ["description", ["a", "b", "c", "d", "e", "f", "g", "h"]]},
            "description mentions any of 'a', 'b', 'c', 'd', 'e', 'f' and 2 more",
        ),
    ],
)
def test_it_describes_conditions_in_english(condition, text):
    assert describe_condition(condition) == text


def test_it_outlines_long_conditions_on_indented_lines():
    condition = {
        "all": [
            {"intersects": ["capabilities", "@fr_capabilities"]},
            {"some_party": {"in": ["type", "@law_enforcement"]}},
            {"not": {"outcome_fired": "prohibited"}},
        ]
    }

    assert describe_condition(condition).splitlines() == [
        "ALL of:",
        "  - capabilities include any of @fr_capabilities (face_verification, face_identification, "
        "celebrity_recognition)",
        "  - some party is one of @law_enforcement (police, federal_law_enforcement, "
        "other_law_enforcement)",
        "  - no earlier prohibited rule fired",
    ]


def test_it_refuses_to_describe_an_invalid_condition():
    with pytest.raises(ConditionError):
        describe_condition({"eq": ["use_case", "spying"]})


def test_it_keeps_every_group_within_its_domain():
    for group in vocabulary.GROUPS.values():
        assert set(group.members) <= set(vocabulary.DOMAINS[group.domain]), group.name
