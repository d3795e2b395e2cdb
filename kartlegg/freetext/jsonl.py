"""JSON Lines files of answers and codes for the file commands: `{"id", "text", "codes": [...]}` per line.
Pure; every error names the file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    pass


def read_jsonl(
    path: str | Path,
    *,
    need_text: bool = True,
    need_codes: bool = False,
    known_codes: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Read and check every line before anything is used (a file is taken whole or not at all). Each row gets
    its line number as `_line`."""
    known = set(known_codes) if known_codes is not None else None
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise JsonlError(f"{path}: finnes ikke.") from exc
    except UnicodeDecodeError as exc:
        raise JsonlError(f"{path}: er ikke UTF-8-tekst.") from exc
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} linje {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonlError(f"{where}: ugyldig JSON ({exc.msg}).") from exc
        if not isinstance(row, dict):
            raise JsonlError(f"{where}: forventet et objekt med id, text og codes.")
        if "id" not in row or not isinstance(row["id"], str | int) or str(row["id"]).strip() == "":
            raise JsonlError(f"{where}: mangler «id».")
        key = str(row["id"])
        row["id"] = key
        if key in seen:
            raise JsonlError(f"{where}: id «{key}» står flere ganger.")
        seen.add(key)
        if need_text and not isinstance(row.get("text"), str):
            raise JsonlError(f"{where}: mangler «text» (tekst).")
        if need_codes or "codes" in row:
            codes = row.get("codes")
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise JsonlError(f"{where}: «codes» må være en liste med kodenøkler.")
            if known is not None:
                unknown = [c for c in codes if c not in known]
                if unknown:
                    raise JsonlError(f"{where}: ukjent kode «{unknown[0]}» (ikke i kodeboken).")
        row["_line"] = number
        rows.append(row)
    if not rows:
        raise JsonlError(f"{path.name}: filen har ingen linjer.")
    return rows


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
