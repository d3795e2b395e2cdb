"""Shared by the free-text file commands: read a codebook file with a clear error."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from kartlegg.freetext.codebook_io import CodebookData, CodebookError, parse_codebook


def read_codebook(path: str) -> CodebookData:
    try:
        return parse_codebook(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: finnes ikke.") from exc
    except CodebookError as exc:
        raise CommandError(f"{Path(path).name}: {exc}") from exc
