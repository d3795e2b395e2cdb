"""Tokenizer and recursive-descent parser: expression text → a tree of frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_LENGTH = 2000
MAX_TOKENS = 400
MAX_DEPTH = 40
MAX_NUMBER_DIGITS = 30
MAX_IN_OPTIONS = 100

# Static types. CELLS is a list of numbers (a grid, row or column); STRINGS is a multichoice answer.
NUMBER, BOOL, STRING, DATE, STRINGS, CELLS, NULL = "number", "bool", "string", "date", "strings", "cells", "null"

KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


# The parser rejects unknown functions early so the error points at the name; semantics.FUNCTIONS
# implements exactly these.
FUNCTION_NAMES = frozenset({"sum", "min", "max", "count", "count_yes", "empty", "abs", "round", "contains", "coalesce"})


class ExpressionError(ValueError):
    """The text is not a valid expression. `position` is the 1-based column where the problem is."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (kolonne {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, keyword, end
    text: str
    pos: int  # 1-based column
    value: Any = None


_OPERATOR_CHARS = "=!<>+-*/(),"


def _is_name_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Uttrykket er for langt (høyst {MAX_LENGTH} tegn)", MAX_LENGTH + 1)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        pos = i + 1
        if ch in " \t\r\n\u00a0":
            i += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise ExpressionError(f"Uttrykket har for mange deler (høyst {MAX_TOKENS})", pos)
        if (
            ch.isascii()
            and ch.isdigit()
            or (ch == "." and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit())
        ):
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j].isascii() and text[j].isdigit():
                    j += 1
            if j < n and (_is_name_char(text[j]) or text[j] == "."):
                raise ExpressionError(f"Ugyldig tall «{text[i : j + 1]}»", pos)
            literal = text[i:j]
            if len(literal.replace(".", "")) > MAX_NUMBER_DIGITS:
                raise ExpressionError(f"Tallet har for mange sifre (høyst {MAX_NUMBER_DIGITS})", pos)
            tokens.append(Token("number", literal, pos, Decimal(literal)))
            i = j
            continue
        if ch in "\"'":
            j = i + 1
            chars: list[str] = []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n and text[j + 1] in (ch, "\\"):
                    chars.append(text[j + 1])
                    j += 2
                    continue
                chars.append(text[j])
                j += 1
            if j >= n:
                raise ExpressionError("Teksten mangler avsluttende anførselstegn", pos)
            tokens.append(Token("string", text[i : j + 1], pos, "".join(chars)))
            i = j + 1
            continue
        if _is_name_start(ch):
            j = i
            # A dotted name: segments of identifier characters, or `*` as a whole segment (a grid column).
            while True:
                while j < n and _is_name_char(text[j]):
                    j += 1
                if j < n and text[j] == "." and j + 1 < n and (_is_name_char(text[j + 1]) or text[j + 1] == "*"):
                    j += 1
                    if text[j] == "*":
                        j += 1
                        if j < n and text[j] != "." and (_is_name_char(text[j])):
                            raise ExpressionError("Etter * må det komme et punktum", j + 1)
                    continue
                break
            word = text[i:j]
            if word in KEYWORDS:
                tokens.append(Token("keyword", word, pos))
            else:
                tokens.append(Token("name", word, pos))
            i = j
            continue
        two = text[i : i + 2]
        if two in ("!=", "<=", ">=", "=="):
            if two == "==":
                raise ExpressionError("Bruk = (ett likhetstegn) for å sammenligne", pos)
            tokens.append(Token("op", two, pos))
            i += 2
            continue
        if ch in _OPERATOR_CHARS and ch != "!":
            tokens.append(Token("op", ch, pos))
            i += 1
            continue
        raise ExpressionError(f"Ugyldig tegn «{ch}»", pos)
    tokens.append(Token("end", "", n + 1))
    return tokens


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    options: tuple[Any, ...]
    negated: bool


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str) -> Token | None:
        if self.tok.kind == kind and self.tok.text == text:
            return self.advance()
        return None

    def expect(self, kind: str, text: str, what: str) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise ExpressionError(f"Forventet {what}, fant {_describe(self.tok)}", self.tok.pos)
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"Uttrykket er nøstet for dypt (høyst {MAX_DEPTH} nivåer)", self.tok.pos)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExpressionError("Uttrykket er tomt", 1)
        node = self.or_expr()
        if self.tok.kind != "end":
            if self.tok.kind == "op" and self.tok.text in COMPARISONS:
                raise ExpressionError(
                    "Sammenligninger kan ikke lenkes; skriv for eksempel a < b and b < c", self.tok.pos
                )
            raise ExpressionError(f"Uventet {_describe(self.tok)}", self.tok.pos)
        return node

    def or_expr(self) -> Node:
        self.enter()
        node = self.and_expr()
        while (tok := self.accept("keyword", "or")) is not None:
            node = Binary(tok.pos, "or", node, self.and_expr())
        self.depth -= 1
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while (tok := self.accept("keyword", "and")) is not None:
            node = Binary(tok.pos, "and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        tok = self.accept("keyword", "not")
        if tok is not None:
            self.enter()
            node: Node = Unary(tok.pos, "not", self.not_expr())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARISONS:
            self.advance()
            return Binary(tok.pos, tok.text, left, self.additive())
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.advance()
            self.advance()
            return InList(tok.pos, left, self.option_list(), True)
        if self.accept("keyword", "in"):
            return InList(tok.pos, left, self.option_list(), False)
        return left

    def option_list(self) -> tuple[Any, ...]:
        self.expect("op", "(", "( etter in")
        options: list[Any] = []
        while True:
            tok = self.tok
            negative = self.accept("op", "-") is not None
            tok = self.advance()
            if tok.kind == "number":
                options.append(-tok.value if negative else tok.value)
            elif tok.kind == "string" and not negative:
                options.append(tok.value)
            elif tok.kind == "keyword" and tok.text in ("true", "false") and not negative:
                options.append(tok.text == "true")
            else:
                raise ExpressionError(f"Listen etter in kan bare ha tall og tekster, fant {_describe(tok)}", tok.pos)
            if len(options) > MAX_IN_OPTIONS:
                raise ExpressionError(f"Listen er for lang (høyst {MAX_IN_OPTIONS})", tok.pos)
            if self.accept("op", ")"):
                return tuple(options)
            self.expect("op", ",", "komma eller )")

    def additive(self) -> Node:
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            tok = self.advance()
            node = Binary(tok.pos, tok.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in "*/":
            tok = self.advance()
            node = Binary(tok.pos, tok.text, node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.accept("op", "-")
        if tok is not None:
            self.enter()
            node: Node = Unary(tok.pos, "-", self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.advance()
        if tok.kind == "number":
            return Literal(tok.pos, tok.value)
        if tok.kind == "string":
            return Literal(tok.pos, tok.value)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return Literal(tok.pos, tok.text == "true")
        if tok.kind == "keyword" and tok.text == "null":
            return Literal(tok.pos, None)
        if tok.kind == "op" and tok.text == "(":
            self.enter()
            node = self.or_expr()
            self.depth -= 1
            self.expect("op", ")", ")")
            return node
        if tok.kind == "name":
            if self.accept("op", "("):
                if tok.text not in FUNCTION_NAMES:
                    known = ", ".join(sorted(FUNCTION_NAMES))
                    raise ExpressionError(f"Ukjent funksjon «{tok.text}» (kjente: {known})", tok.pos)
                args: list[Node] = []
                if not self.accept("op", ")"):
                    while True:
                        self.enter()
                        args.append(self.or_expr())
                        self.depth -= 1
                        if self.accept("op", ")"):
                            break
                        self.expect("op", ",", "komma eller )")
                return Call(tok.pos, tok.text, tuple(args))
            return Var(tok.pos, tok.text)
        raise ExpressionError(f"Forventet en verdi, fant {_describe(tok)}", tok.pos)


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "slutten av uttrykket"
    return f"«{tok.text}»"


def parse(text: str) -> Node:
    """Parse expression text into a tree, or raise ExpressionError with the column of the problem."""
    if not isinstance(text, str):
        raise ExpressionError("Uttrykket må være tekst", 1)
    return _Parser(tokenize(text)).parse()


def variables(node: Node) -> set[str]:
    """Every variable name the tree refers to (wildcards included as written)."""
    found: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Var):
            found.add(current.name)
        elif isinstance(current, Unary):
            stack.append(current.operand)
        elif isinstance(current, Binary):
            stack.extend((current.left, current.right))
        elif isinstance(current, InList):
            stack.append(current.operand)
        elif isinstance(current, Call):
            stack.extend(current.args)
    return found
