"""A line-aware YAML reader for questionnaire files: the text is composed into a node tree (not loaded straight to
Python), so each mapping, key and list item keeps the line it came from (Map, Seq), and every problem is a
Problem with its line. Safe on hostile input: no tags are constructed, size and alias expansion are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"linje {self.line}: {self.message}" if self.line else self.message


class QuestionnaireImportError(ValueError):
    """The file cannot be imported. `problems` lists every one found, each with its line number."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Map(dict):
    """A YAML mapping that remembers its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class Seq(list):
    line: int = 0
    item_lines: list[int]


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return node.value.lower() in ("true", "yes", "on")
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        text = node.value.replace("_", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return node.value
        if not number.is_finite():
            return node.value
        return int(number) if tag.endswith("int") else number
    return node.value


MAX_NODES = 200_000


class _TooBig(Exception):
    pass


def _convert(node: yaml.Node, problems: list[Problem], budget: list[int]) -> Any:
    # Aliases share nodes, so a hostile file can expand exponentially ("billion laughs"); count what we build.
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping = Map()
        mapping.line = line
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, problems, budget)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                problems.append(Problem(key_line, f"nøkkelen {key!r} må være tekst"))
                continue
            if key in mapping:
                problems.append(Problem(key_line, f"nøkkelen «{key}» står to ganger (første gang på linje "
                                        f"{mapping.key_lines[key]})"))  # fmt: skip
                continue
            mapping[key] = _convert(value_node, problems, budget)
            mapping.key_lines[key] = key_line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_convert(item, problems, budget) for item in node.value)
        seq.line = line
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return _scalar(node)  # type: ignore[arg-type]


def read_yaml(text: str) -> tuple[Any, list[Problem]]:
    """Compose the text into line-aware data. Syntax errors become a Problem with the line."""
    problems: list[Problem] = []
    if len(text.encode("utf-8", errors="replace")) > MAX_SOURCE_BYTES:
        return None, [Problem(0, f"filen er for stor (høyst {MAX_SOURCE_BYTES // 1_000_000} MB)")]
    try:
        # compose() builds nodes only; no Python objects or tags are constructed, so the file cannot run code.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return None, [Problem(line, f"ugyldig YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [Problem(0, f"ugyldig YAML: {exc}")]
    if root is None:
        return None, [Problem(1, "filen er tom")]
    try:
        return _convert(root, problems, [MAX_NODES]), problems
    except _TooBig:
        return None, [Problem(0, f"filen har for mange elementer (høyst {MAX_NODES}, aliaser medregnet)")]


def plain(value: Any) -> Any:
    """Strip the line bookkeeping (Map/Seq → dict/list) so the data can be stored or compared."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def line_index(data: Any) -> dict[str, int]:
    """{question code: line} for later problems found against the database (continues)."""
    found: dict[str, int] = {}
    if not isinstance(data, Map):
        return found
    for section in data.get("sections") or []:
        for q in (section.get("questions") if isinstance(section, Map) else None) or []:
            if isinstance(q, Map) and isinstance(q.get("code"), str):
                found[q["code"]] = q.key_lines.get("continues", q.line)
    return found
