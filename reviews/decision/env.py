"""What one evaluation shares between rules: the facts, the rules fired, normalised text.

Text conditions (`text_any`) look phrases up by their first word: a phrase can only
occur on word boundaries where its first word is a word of the text. A compiled policy
knows every first word its phrases start with, per text fact (`first_words`), so each
text is normalised once per evaluation and reduced, in one pass, to the few words a
phrase may start with; every `text_any` on it then works on that small set.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

from . import nodes as n
from .facts import Facts
from .outcome import Outcome
from .text import padded_words

Vocabulary = Mapping[str, frozenset[str]]

NO_VOCABULARY: Vocabulary = MappingProxyType({})


class Env:
    """Hold what one evaluation needs: the facts, earlier rules' results, text caches.

    `vocabulary` maps a text fact of `facts` to every first word of the phrases any
    condition looks for in it; a fact it leaves out keeps all its words.
    """

    __slots__ = ("facts", "fired", "texts", "vocabulary")

    def __init__(self, facts: Facts, vocabulary: Vocabulary = NO_VOCABULARY) -> None:
        self.facts = facts
        self.fired: dict[str, Outcome] = {}
        # Per text fact normalised so far: its padded text and its words (see `text`).
        self.texts: dict[str, tuple[str, Collection[str]]] = {}
        self.vocabulary = vocabulary

    def padded_text(self, fact: n.Fact) -> str:
        """Return the normalised text of a fact, normalising it once per evaluation."""
        return self.text(fact)[0]

    def text(self, fact: n.Fact) -> tuple[str, Collection[str]]:
        """Return a fact's padded normalised text and its words, once per evaluation.

        The words are those in the vocabulary of the fact, when it has one: the only
        ones a phrase index asks about.
        """
        found = self.texts.get(fact.path)
        if found is None:
            text, words = text_and_words(fact.get(self.facts))
            known = self.vocabulary.get(fact.path)
            found = (text, words if known is None else known.intersection(words))
            self.texts[fact.path] = found
        return found


def text_and_words(value: str | None) -> tuple[str, list[str]]:
    """Return the padded normalised text (see `text.padded`) and the words it holds."""
    return padded_words(value or "")


def phrase_index(normalised: tuple[str, ...]) -> dict[str, tuple[tuple[int, str], ...]]:
    """Return ``{first word: ((position, " padded phrase "), ...)}`` for normalised phrases.

    Only the phrases indexed under a word of the text need searching for (as
    `contains_phrase` does, with the padded key built once here).
    """
    by_first: dict[str, list[tuple[int, str]]] = {}
    for position, key in enumerate(normalised):
        by_first.setdefault(key.split(" ", 1)[0], []).append((position, f" {key} "))
    return {word: tuple(entries) for word, entries in by_first.items()}


def vocabulary_of(nodes: Iterable[n.Node]) -> Vocabulary:
    """Return the first words of every phrase `nodes` look for, per fact of the facts.

    Phrases about a party's name inside `some_party` are left out: a party's name is
    normalised on the spot, not through `Env.text`.
    """
    found: dict[str, set[str]] = {}

    def visit(node: n.Node) -> None:
        if isinstance(node, n.TextAny):
            found.setdefault(node.fact.path, set()).update(phrase_index(node.normalised))
        elif isinstance(node, n.All | n.AnyOf):
            for child in node.children:
                visit(child)
        elif isinstance(node, n.Not):
            visit(node.child)

    for node in nodes:
        visit(node)
    return MappingProxyType({path: frozenset(words) for path, words in found.items()})
