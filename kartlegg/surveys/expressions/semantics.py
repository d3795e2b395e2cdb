"""Static type checking, the fixed function library, and evaluation of parsed expressions."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kartlegg.surveys.expressions.syntax import (
    BOOL,
    CELLS,
    DATE,
    FUNCTION_NAMES,
    NULL,
    NUMBER,
    STRING,
    STRINGS,
    Binary,
    Call,
    ExpressionError,
    InList,
    Literal,
    Node,
    Unary,
    Var,
    parse,
    variables,
)


class EvaluationError(ValueError):
    """A type problem that the checker could not see ahead (only when evaluating unchecked trees)."""


@dataclass(frozen=True)
class Function:
    # Allowed static types per argument (all arguments share the rule); CELLS/STRINGS accepted where listed.
    accepts: frozenset[str]
    returns: str
    min_args: int
    max_args: int | None
    impl: Callable[[list[Any]], Any]
    # Arguments that are lists are flattened before impl sees them.
    flatten: bool = True
    description: str = ""


def _flat(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple) and not isinstance(value, str):
            out.extend(value)
        else:
            out.append(value)
    return out


def _sum(values: list[Any]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def _min(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _empty(args: list[Any]) -> bool:
    return all(_is_blank(v) for v in _flat(args))


def _count(values: list[Any]) -> Decimal:
    return Decimal(sum(1 for v in values if not _is_blank(v)))


def _count_yes(values: list[Any]) -> Decimal:
    return Decimal(sum(1 for v in values if v is True))


def _abs(args: list[Any]) -> Any:
    return None if args[0] is None else abs(args[0])


def _round(args: list[Any]) -> Any:
    value = args[0]
    places = args[1] if len(args) > 1 else Decimal(0)
    if value is None or places is None:
        return None
    places = int(places)
    if not 0 <= places <= 10:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)


def _contains(args: list[Any]) -> bool:
    haystack, needle = args
    if haystack is None or needle is None:
        return False
    return needle in haystack


def _coalesce(args: list[Any]) -> Any:
    for value in args:
        if not _is_blank(value):
            return value
    return None


_NUMERIC = frozenset({NUMBER, CELLS, NULL})
_ANY_VALUE = frozenset({NUMBER, CELLS, BOOL, STRING, DATE, STRINGS, NULL})

FUNCTIONS: dict[str, Function] = {
    "sum": Function(_NUMERIC, NUMBER, 1, None, _sum, description="summen; tomme felt teller som 0"),
    "min": Function(_NUMERIC, NUMBER, 1, None, _min, description="minste utfylte verdi"),
    "max": Function(_NUMERIC, NUMBER, 1, None, _max, description="største utfylte verdi"),
    "count": Function(_ANY_VALUE, NUMBER, 1, None, _count, description="antall utfylte felt"),
    "count_yes": Function(frozenset({BOOL, NULL}), NUMBER, 1, None, _count_yes, description="antall ja-svar"),
    "empty": Function(_ANY_VALUE, BOOL, 1, None, _empty, flatten=False, description="sant når alle er tomme"),
    "abs": Function(frozenset({NUMBER, NULL}), NUMBER, 1, 1, _abs, flatten=False, description="absoluttverdi"),
    "round": Function(frozenset({NUMBER, NULL}), NUMBER, 1, 2, _round, flatten=False, description="avrunding"),
    "contains": Function(
        frozenset({STRINGS, STRING, NULL}), BOOL, 2, 2, _contains, flatten=False, description="flervalg inneholder"
    ),
    "coalesce": Function(
        _ANY_VALUE - {CELLS}, "first", 2, None, _coalesce, flatten=False, description="første utfylte"
    ),
}


# Resolves a variable name to its static type, or None when unknown.
TypeLookup = Callable[[str], str | None]


def check(node: Node, lookup: TypeLookup) -> str:
    """Infer the static type of the tree, raising ExpressionError on unknown variables and type mistakes.
    Also used for every rule at import, so a questionnaire never ships an expression that fails at run time."""
    return _check(node, lookup, inside_aggregate=False)


def _check(node: Node, lookup: TypeLookup, inside_aggregate: bool) -> str:
    if isinstance(node, Literal):
        if node.value is None:
            raise ExpressionError("Bruk empty(x) for å sjekke om et felt er tomt, ikke null", node.pos)
        if isinstance(node.value, bool):
            return BOOL
        if isinstance(node.value, Decimal):
            return NUMBER
        return STRING
    if isinstance(node, Var):
        kind = lookup(node.name)
        if kind is None:
            raise ExpressionError(f"Ukjent variabel «{node.name}»", node.pos)
        if kind == CELLS and not inside_aggregate:
            raise ExpressionError(
                f"«{node.name}» er flere celler; bruk den i sum(), count(), min(), max() eller empty()", node.pos
            )
        return kind
    if isinstance(node, Unary):
        inner = _check(node.operand, lookup, False)
        if node.op == "-":
            _require(inner, {NUMBER}, node.operand, "minustegn")
            return NUMBER
        _require(inner, {BOOL}, node.operand, "not")
        return BOOL
    if isinstance(node, Binary):
        left = _check(node.left, lookup, False)
        right = _check(node.right, lookup, False)
        if node.op in ("and", "or"):
            _require(left, {BOOL}, node.left, node.op)
            _require(right, {BOOL}, node.right, node.op)
            return BOOL
        if node.op in "+-*/":
            _require(left, {NUMBER}, node.left, node.op)
            _require(right, {NUMBER}, node.right, node.op)
            return NUMBER
        if node.op in ("<", "<=", ">", ">="):
            if left != right or left not in (NUMBER, DATE):
                raise ExpressionError(f"{node.op} sammenligner bare tall med tall (eller dato med dato)", node.pos)
            return BOOL
        if left != right:
            raise ExpressionError(f"Kan ikke sammenligne {_type_nb(left)} med {_type_nb(right)}", node.pos)
        if left in (STRINGS, CELLS):
            raise ExpressionError("Bruk contains() for flervalg", node.pos)
        return BOOL
    if isinstance(node, InList):
        inner = _check(node.operand, lookup, False)
        if inner == STRINGS:
            raise ExpressionError('Bruk contains(x, "kode") for flervalg', node.pos)
        for option in node.options:
            option_type = BOOL if isinstance(option, bool) else NUMBER if isinstance(option, Decimal) else STRING
            if option_type != inner:
                raise ExpressionError(
                    f"Listen inneholder {_type_nb(option_type)}, men verdien er {_type_nb(inner)}", node.pos
                )
        return BOOL
    if isinstance(node, Call):
        fn = FUNCTIONS[node.name]
        if len(node.args) < fn.min_args or (fn.max_args is not None and len(node.args) > fn.max_args):
            wanted = str(fn.min_args) if fn.max_args == fn.min_args else f"minst {fn.min_args}"
            raise ExpressionError(f"{node.name}() tar {wanted} argument", node.pos)
        aggregate = fn.flatten or node.name == "empty"
        types = [_check(arg, lookup, aggregate) for arg in node.args]
        for arg, kind in zip(node.args, types, strict=True):
            if kind not in fn.accepts:
                raise ExpressionError(f"{node.name}() kan ikke brukes på {_type_nb(kind)}", arg.pos)
        if node.name == "contains" and types[0] != STRINGS:
            raise ExpressionError("contains() skal ha et flervalgsspørsmål først", node.args[0].pos)
        if node.name == "contains" and types[1] != STRING:
            raise ExpressionError("contains() skal ha en tekst (svarkode) til slutt", node.args[1].pos)
        if fn.returns == "first":
            if len(set(types)) != 1:
                raise ExpressionError(f"{node.name}() trenger argumenter av samme type", node.pos)
            return types[0]
        return fn.returns
    raise ExpressionError("Ukjent uttrykk", node.pos)  # pragma: no cover - every node class is handled above


def _require(kind: str, allowed: set[str], node: Node, where: str) -> None:
    if kind not in allowed:
        wanted = " eller ".join(_type_nb(k) for k in sorted(allowed))
        raise ExpressionError(f"{where} trenger {wanted}, ikke {_type_nb(kind)}", node.pos)


def _type_nb(kind: str) -> str:
    return {
        NUMBER: "tall",
        BOOL: "ja/nei",
        STRING: "tekst",
        DATE: "dato",
        STRINGS: "flervalg",
        CELLS: "flere celler",
        NULL: "tom verdi",
    }.get(kind, kind)


# Resolves a variable name to its value (a list for multi-cell references).
ValueLookup = Callable[[str], Any]

_CONTEXT = decimal.Context(prec=28, Emax=10_000, Emin=-10_000, traps=[decimal.InvalidOperation, decimal.Overflow])


def truthy(value: Any) -> bool:
    """How a value counts in a yes/no position: null is false, 0 is false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


def _num(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def evaluate(node: Node, lookup: ValueLookup) -> Any:
    """Evaluate a (checked) tree. Returns Decimal, bool, str, date, list or None (blank)."""
    with decimal.localcontext(_CONTEXT):
        try:
            return _closure(node)(lookup)
        except (decimal.InvalidOperation, decimal.Overflow):
            return None


def passes_for_values(rule: Node, when: Node | None, values: Sequence[Any], name: str) -> list[bool]:
    """For a rule whose trees read no variable but `name` (a per-cell rule that reads only `_cell`): whether each
    value passes, i.e. `when` is not truthy or `rule` is, each evaluated as evaluate() would with `name` bound to the
    value. One decimal context for all the values instead of one per evaluation: a save's new cells are evaluated
    this way, and entering the context was a third of each evaluation."""
    check_fn = _closure(rule)
    guard_fn = _closure(when) if when is not None else None
    out: list[bool] = []
    with decimal.localcontext(_CONTEXT):
        for value in values:

            def lookup(asked: str, value: Any = value) -> Any:
                return value if asked == name else None

            if guard_fn is not None:
                try:
                    guarded = guard_fn(lookup)
                except (decimal.InvalidOperation, decimal.Overflow):
                    guarded = None
                if not truthy(guarded):
                    out.append(True)
                    continue
            try:
                verdict = check_fn(lookup)
            except (decimal.InvalidOperation, decimal.Overflow):
                verdict = None
            out.append(truthy(verdict))
    return out


# A tree is turned into nested closures once and kept: validation evaluates the same rules on every save, and
# closures skip the isinstance dispatch an interpreter repeats for each node each time. Keyed by id() with the
# node kept alongside, so a recycled id can never return another tree's closure.
_CLOSURES: dict[int, tuple[Node, Callable[[ValueLookup], Any]]] = {}
_MAX_CLOSURES = 20_000


def _closure(node: Node) -> Callable[[ValueLookup], Any]:
    entry = _CLOSURES.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    fn = _compile(node)
    if len(_CLOSURES) >= _MAX_CLOSURES:
        _CLOSURES.clear()
    _CLOSURES[id(node)] = (node, fn)
    return fn


def _compile(node: Node) -> Callable[[ValueLookup], Any]:  # noqa: C901 - one branch per node type
    if isinstance(node, Literal):
        constant = node.value
        return lambda lookup: constant
    if isinstance(node, Var):
        name = node.name

        def var(lookup: ValueLookup) -> Any:
            value = lookup(name)
            if isinstance(value, list | tuple):
                return [_num(v) for v in value]
            return _num(value)

        return var
    if isinstance(node, Unary):
        operand = _compile(node.operand)
        if node.op == "not":
            return lambda lookup: not truthy(operand(lookup))

        def negate(lookup: ValueLookup) -> Any:
            value = operand(lookup)
            if value is None:
                return None
            _expect_number(value, node)
            return -value

        return negate
    if isinstance(node, Binary):
        return _compile_binary(node, _compile(node.left), _compile(node.right))
    if isinstance(node, InList):
        operand = _compile(node.operand)
        options, negated = node.options, node.negated

        def in_list(lookup: ValueLookup) -> bool:
            value = operand(lookup)
            if value is None:
                return False
            found = any(value == option and isinstance(value, bool) == isinstance(option, bool) for option in options)
            return not found if negated else found

        return in_list
    if isinstance(node, Call):
        function = FUNCTIONS[node.name]
        args = [_compile(arg) for arg in node.args]
        flatten = function.flatten

        def call(lookup: ValueLookup) -> Any:
            values = [arg(lookup) for arg in args]
            return function.impl(_flat(values) if flatten else values)

        return call
    raise EvaluationError("Ukjent uttrykk")  # pragma: no cover


def _compile_binary(node: Binary, left: Callable[[ValueLookup], Any], right: Callable[[ValueLookup], Any]) -> Any:
    op = node.op
    if op == "and":
        return lambda lookup: truthy(left(lookup)) and truthy(right(lookup))
    if op == "or":
        return lambda lookup: truthy(left(lookup)) or truthy(right(lookup))
    if op in "+-*/":

        def arithmetic(lookup: ValueLookup) -> Any:
            a, b = left(lookup), right(lookup)
            if a is None or b is None:
                return None
            _expect_number(a, node)
            _expect_number(b, node)
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return None if b == 0 else a / b

        return arithmetic
    return lambda lookup: _compare(op, left(lookup), right(lookup), node)


def _expect_number(value: Any, node: Node) -> None:
    if not isinstance(value, Decimal):
        raise EvaluationError(f"Forventet et tall i kolonne {node.pos}")


def _compare(op: str, left: Any, right: Any, node: Node) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, bool) != isinstance(right, bool):
        return False if op == "=" else op == "!="
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    comparable = (Decimal, dt.date)
    if not (isinstance(left, comparable) and isinstance(right, comparable) and type(left) is type(right)):
        raise EvaluationError(f"Kan ikke sammenligne verdiene i kolonne {node.pos}")
    ordered: Any = left  # same type, checked above
    if op == "<":
        return bool(ordered < right)
    if op == "<=":
        return bool(ordered <= right)
    if op == ">":
        return bool(ordered > right)
    return bool(ordered >= right)


@dataclass(frozen=True)
class Compiled:
    text: str
    tree: Node
    type: str
    names: frozenset[str] = field(default_factory=frozenset)

    def evaluate(self, lookup: ValueLookup) -> Any:
        return evaluate(self.tree, lookup)


def compile_expression(text: str, lookup: TypeLookup) -> Compiled:
    """Parse and check in one step."""
    tree = parse(text)
    kind = check(tree, lookup)
    return Compiled(text=text, tree=tree, type=kind, names=frozenset(variables(tree)))


def evaluate_text(text: str, values: dict[str, Any], types: dict[str, str] | None = None) -> Any:
    """Handy for tests and the shell: parse, check against `types` (inferred from `values` when omitted), evaluate.
    Multi-cell names are not expanded here; pass lists for them."""
    inferred = types or {name: _infer(value) for name, value in values.items()}
    compiled = compile_expression(text, inferred.get)
    return compiled.evaluate(lambda name: values.get(name))


def _infer(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float | Decimal):
        return NUMBER
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, Sequence) and not isinstance(value, str):
        return CELLS if all(v is None or isinstance(v, int | float | Decimal) for v in value) else STRINGS
    if value is None:
        return NUMBER
    return STRING


assert set(FUNCTIONS) == FUNCTION_NAMES, "the parser and the function library disagree"
