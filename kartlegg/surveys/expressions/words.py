"""Expressions in Norwegian words, for the version page and the printable questionnaire."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kartlegg.surveys.expressions.syntax import Binary, Call, InList, Literal, Node, Unary, Var


def describe(node: Node, name: Callable[[str], str] | None = None) -> str:
    """The expression in Norwegian words, for the printable questionnaire and the rule overview. `name` turns a
    variable code into something readable (a question's label)."""
    name = name or (lambda code: code)
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return "ja" if node.value else "nei"
        if isinstance(node.value, Decimal):
            return format(node.value, "f").replace(".", ",")
        if node.value is None:
            return "tom"
        return f"«{node.value}»"
    if isinstance(node, Var):
        return name(node.name)
    if isinstance(node, Unary):
        return f"ikke ({describe(node.operand, name)})" if node.op == "not" else f"−{describe(node.operand, name)}"
    if isinstance(node, Binary):
        words = {
            "and": "og",
            "or": "eller",
            "=": "er",
            "!=": "er ikke",
            "<": "er mindre enn",
            "<=": "er høyst",
            ">": "er større enn",
            ">=": "er minst",
        }
        op = words.get(node.op, node.op)
        left, right = describe(node.left, name), describe(node.right, name)
        if node.op in ("and", "or"):
            left = _bracket(node.left, node.op, left)
            right = _bracket(node.right, node.op, right)
        elif node.op in "+-*/":
            left = f"({left})" if isinstance(node.left, Binary) and node.left.op in "+-" and node.op in "*/" else left
            right = f"({right})" if isinstance(node.right, Binary) else right
        return f"{left} {op} {right}"
    if isinstance(node, InList):
        options = " eller ".join(describe(Literal(node.pos, option)) for option in node.options)
        return f"{describe(node.operand, name)} {'ikke er' if node.negated else 'er'} {options}"
    if isinstance(node, Call):
        args = ", ".join(describe(arg, name) for arg in node.args)
        if node.name == "empty":
            return f"{args} er tom" if len(node.args) == 1 else f"{args} er tomme"
        if node.name == "sum":
            return f"summen av {args}"
        if node.name == "contains":
            return f"{describe(node.args[0], name)} har valgt {describe(node.args[1], name)}"
        if node.name == "count_yes":
            return f"antall ja-svar blant {args}"
        if node.name == "count":
            return f"antall utfylte blant {args}"
        return f"{node.name}({args})"
    return "?"  # pragma: no cover


def _bracket(child: Node, parent_op: str, text: str) -> str:
    if isinstance(child, Binary) and child.op in ("and", "or") and child.op != parent_op:
        return f"({text})"
    return text
