"""Literal phrase matching, and what the seed's UNDECLARED-CAPABILITY rule catches."""

from __future__ import annotations

import re
import unicodedata

import pytest

from reviews.decision.text import contains_phrase, normalise, padded, padded_words


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Who's THIS?", "who s this"),
        ("face-match\n\tresults", "face match results"),
        ("snake_case_words", "snake case words"),
        ("Straße", "strasse"),
        ("\uff26\uff35\uff2c\uff2c width", "full width"),  # fullwidth letters
        ("  ", ""),
    ],
)
def test_it_normalises_case_punctuation_and_whitespace(text, normalised):
    assert normalise(text) == normalised


def _general_normalise(text: str) -> str:
    # What normalise() does for text that is not ASCII (no fast path).
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", folded).strip()


ASCII = "".join(chr(code) for code in range(128))


@pytest.mark.parametrize(
    "text", [ASCII, f"a{ASCII}b", " ".join(ASCII), "Who's THIS?  face-match_results\t(42)"]
)
def test_its_ascii_fast_path_normalises_as_the_general_path(text):
    normalised = _general_normalise(text)

    assert normalise(text) == normalised
    assert padded_words(text) == (f" {normalised} ", normalised.split())


@pytest.mark.parametrize(
    ("text", "phrase", "found"),
    [
        ("We use face matching.", "face matching", True),
        ("We use FACE-MATCHING.", "face matching", True),
        ("A rematch tonight", "match", False),
        ("matches", "match", False),
        ("who is this person?", "who is this", True),
        ("who is thistle", "who is this", False),
    ],
)
def test_it_matches_phrases_on_word_boundaries(text, phrase, found):
    assert contains_phrase(padded(text), normalise(phrase)) is found


@pytest.mark.parametrize(
    "description",
    [
        "Staff can match faces from the door camera against regulars.",
        "We do facial matching of visitors.",
        "The tool will identify people walking past the shop.",
        "It can recognise who is at the counter.",
        "It can recognize people who visited before.",
        "The assistant tells the user who is this on the screen.",
        "Guards get an alert when someone on our watchlist enters.",
        "We compare photos with booking photos from the county jail.",
        "We compare photos with mugshots.",
        "Photos of prior inmates are searched.",
        "The camera detects the mood of shoppers.",
        "The app tells carers about the resident's feelings.",
        "We read emotions from webcam video.",
        "Visitors see how old they look.",
        "The kiosk will estimate age from a selfie.",
        "The kiosk tries to guess gender of each visitor.",
        "Customers' ethnicity is inferred for reports.",
    ],
)
def test_it_flags_descriptions_implying_undeclared_capabilities(assess, description):
    assert "UNDECLARED-CAPABILITY" in assess(description=description).rules


@pytest.mark.parametrize(
    "description",
    [
        "We draft product descriptions for our online shop.",
        "The chatbot answers questions about opening hours and parking permits.",
        "We transcribe the audio of meetings and summarise the actions.",
        "We recognise revenue monthly and draft reports for the finance team.",
        "A match report is generated after every football game.",
        "Users describe what they see; the model writes alt text for their photos.",
        "We identify trends in support tickets.",
    ],
)
def test_it_stays_quiet_on_honest_descriptions(assess, description):
    assert "UNDECLARED-CAPABILITY" not in assess(description=description).rules


@pytest.mark.parametrize(
    ("capabilities", "description"),
    [
        (["face_identification"], "We identify people at the gate and match faces."),
        (["emotion_recognition"], "We read the mood of the audience."),
        (["face_attributes"], "We estimate age at the kiosk."),
    ],
)
def test_it_accepts_a_description_matching_the_declared_capability(
    assess, capabilities, description
):
    assert (
        "UNDECLARED-CAPABILITY"
        not in assess(capabilities=capabilities, description=description).rules
    )


def test_it_still_flags_what_another_declared_capability_does_not_cover(assess):
    assessment = assess(
        capabilities=["face_verification"], description="We also read emotions from faces."
    )

    assert "UNDECLARED-CAPABILITY" in assessment.rules
