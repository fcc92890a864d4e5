"""Render a validated condition tree as English for policy staff."""

from __future__ import annotations

from . import nodes as n

LINE_WIDTH = 100
_SHOWN_PHRASES = 6


def describe_node(node: n.Node) -> str:
    """Return one line when it fits in LINE_WIDTH characters, else an indented outline."""
    line = _inline(node)
    if len(line) <= LINE_WIDTH:
        return line
    return "\n".join(_outline(node, indent=0))


def _outline(node: n.Node, indent: int) -> list[str]:
    pad = "  " * indent
    line = _inline(node)
    if len(pad) + len(line) <= LINE_WIDTH or not _is_compound(node):
        return [pad + line]
    if isinstance(node, n.Not):
        return [f"{pad}NOT:", *_outline(node.child, indent + 1)]
    head = "ALL of:" if isinstance(node, n.All) else "ANY of:"
    lines = [pad + head]
    for child in node.children:
        sub = _outline(child, indent + 2)
        lines.append(f"{pad}  - {sub[0].lstrip()}")
        lines.extend(sub[1:])
    return lines


def _is_compound(node: n.Node) -> bool:
    # A negated leaf reads well on one line ("use_case is not one of ..."), however long.
    if isinstance(node, n.Not):
        return _is_compound(node.child)
    return isinstance(node, n.All | n.AnyOf)


def _inline(node: n.Node, negated: bool = False) -> str:
    if isinstance(node, n.All | n.AnyOf):
        joiner = " AND " if isinstance(node, n.All) else " OR "
        text = joiner.join(_wrapped(child) for child in node.children)
        return f"NOT ({text})" if negated else text
    if isinstance(node, n.Not):
        return _inline(node.child, negated=not negated)
    if isinstance(node, n.SomeParty):
        return ("no party " if negated else "some party ") + _party(node.child)
    return _leaf(node, negated)


def _wrapped(node: n.Node) -> str:
    text = _inline(node)
    compound = isinstance(node, n.All | n.AnyOf) and len(node.children) > 1
    return f"({text})" if compound else text


def _leaf(node: n.Node, negated: bool) -> str:
    if isinstance(node, n.Eq):
        return f"{node.fact.path} {'is not' if negated else 'is'} {_value(node.value)}"
    if isinstance(node, n.In):
        verb = "is not one of" if negated else "is one of"
        return f"{node.fact.path} {verb} {_values(node.values, node.group)}"
    if isinstance(node, n.Contains):
        return f"{node.fact.path} {'do not include' if negated else 'include'} {node.value}"
    if isinstance(node, n.Intersects):
        verb = "include none of" if negated else "include any of"
        return f"{node.fact.path} {verb} {_values(node.values, node.group)}"
    if isinstance(node, n.Empty):
        return f"{node.fact.path} {'is not empty' if negated else 'is empty'}"
    if isinstance(node, n.TextAny):
        verb = "mentions none of" if negated else "mentions any of"
        return f"{node.fact.path} {verb} {_phrases(node.phrases)}"
    if isinstance(node, n.Fired):
        return f"rule {node.rule} {'did not fire' if negated else 'fired'}"
    if isinstance(node, n.OutcomeFired):
        return f"{'no' if negated else 'an'} earlier {node.outcome} rule fired"
    raise TypeError(f"not a condition node: {node!r}")


def _party(node: n.Node) -> str:
    """Phrase a party condition after "some party", e.g. "is police in US"."""
    parts = node.children if isinstance(node, n.All) else (node,)
    if all(_is_simple_party_leaf(part) for part in parts):
        phrases = [_party_leaf(part) for part in parts]
        kinds = [part.fact.path for part in parts]
        if kinds == ["type", "country"]:
            return " ".join(phrases)  # "is police in US" reads better than "... and in US".
        return " and ".join(phrases)
    return f"has {_inline(node)}"


def _is_simple_party_leaf(node: n.Node) -> bool:
    return isinstance(node, n.Eq | n.In) and node.fact.path in ("type", "country")


def _party_leaf(node: n.Eq | n.In) -> str:
    if node.fact.path == "type":
        if isinstance(node, n.Eq):
            return f"is {node.value}"
        return f"is one of {_values(node.values, node.group)}"
    if isinstance(node, n.Eq):
        return f"in {node.value}"
    return f"in one of {_values(node.values, node.group)}"


def _value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _values(values: tuple[str, ...], group: str | None) -> str:
    listed = ", ".join(values)
    return f"@{group} ({listed})" if group else listed


def _phrases(phrases: tuple[str, ...]) -> str:
    shown = ", ".join(f"'{phrase}'" for phrase in phrases[:_SHOWN_PHRASES])
    more = len(phrases) - _SHOWN_PHRASES
    return f"{shown} and {more} more" if more > 0 else shown
