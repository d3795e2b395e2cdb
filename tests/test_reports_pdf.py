"""The report's PDF laid out in parts and joined: one continuous document whose page count, "side x av y" footers,
table of contents and tagging (PDF/UA structure tree, parent tree, bookmarks) are right across the parts."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from kartlegg.analytics import services as statistics
from kartlegg.reports import render_pdf as pdf_module
from kartlegg.reports import services
from kartlegg.reports.document import Report
from kartlegg.reports.render_pdf import PdfStats, render_pdf
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def document() -> Report:
    SmallSurvey()
    statistics.compute()
    return services.document_of(services.build_report(2020))


def _render(document: Report, monkeypatch: pytest.MonkeyPatch, workers: int) -> tuple[Any, PdfStats]:
    from pypdf import PdfReader

    monkeypatch.setattr(pdf_module, "PROFILES_PER_PART", 2)  # several profile parts even for a small survey
    monkeypatch.setattr(pdf_module, "APPENDIX_ROWS", 3)  # and several appendix parts
    stats = PdfStats()
    return PdfReader(io.BytesIO(render_pdf(document, workers=workers, stats=stats))), stats


def _texts(reader: Any) -> list[str]:
    return [page.extract_text().replace(NBSP, " ") for page in reader.pages]


def test_parts_join_into_one_numbered_document_with_a_true_table_of_contents(
    document: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, stats = _render(document, monkeypatch, workers=1)
    texts = _texts(reader)
    total = len(texts)
    units = len([c for c in document.chapters if c.kind == "profiles"][0].tables)
    assert stats.parts >= 1 + 2 + (units + 1) // 2 and stats.pages == total
    # "side x av y" on every page but the cover, continuous across the parts.
    assert "side 1 av" not in texts[0]
    for number, text in enumerate(texts[1:], start=2):
        assert f"side {number} av {total}" in text, (number, text[-120:])
    # The contents name the page where each chapter begins, the appendix and profiles parts included.
    toc = texts[1]
    entries = re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", toc, flags=re.MULTILINE)
    titles = [c.title for c in document.chapters]
    assert len(entries) == len(titles)
    for (title, page), (number, expected) in zip(entries, enumerate(titles, start=1), strict=True):
        assert title.strip() == expected
        starts = [i + 1 for i, text in enumerate(texts) if f"{number}. {expected}" in text.replace("\n", " ")]
        assert starts and starts[0] == int(page), (expected, page, starts)
    # One profile per page, the last page being the last profile.
    last = [c for c in document.chapters if c.kind == "profiles"][0].tables[-1]
    assert last.title in texts[-1] and sum(1 for t in texts if ", 2020" in t.split("\n")[0]) >= units - 1


def test_joined_pdf_keeps_its_tagging_and_bookmarks(document: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    reader, stats = _render(document, monkeypatch, workers=2)  # in worker processes this time
    assert stats.parts > 3 and stats.worker_peak_mib > 0
    root = reader.trailer["/Root"]
    assert root["/Lang"] == document.language and bool(root["/MarkInfo"]["/Marked"]) and "/Metadata" in root
    tree = root["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert len(keys) == len(set(keys)) and int(tree["/ParentTreeNextKey"]) > max(keys)
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    seen_pages = [int(page["/StructParents"]) for page in reader.pages]
    assert len(seen_pages) == len(set(seen_pages)) and set(seen_pages) <= set(keys)
    # Every element the parent tree names is in the structure tree under the one Document element.
    (top,) = tree["/K"] if isinstance(tree["/K"], list) else [tree["/K"]]
    document_element = top.get_object()
    assert document_element["/S"] == "/Document"
    reachable: set[int] = set()
    stack = [document_element]
    while stack:
        element = stack.pop()
        reachable.add(element.indirect_reference.idnum)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(kid, "get") and "/S" in kid:
                assert kid["/P"].get_object().indirect_reference.idnum == element.indirect_reference.idnum
                stack.append(kid)
    for page in reader.pages:
        marked = [ref.get_object() for ref in parents[int(page["/StructParents"])]]
        outside = [e for e in marked if e.indirect_reference.idnum not in reachable]
        # WeasyPrint itself leaves the page's margin boxes (running headers, "side x av y", the demo mark) as
        # spans outside the tree, in a single document too; everything else on the page is in the tree.
        assert len(outside) <= 4 and all(e["/S"] == "/Span" for e in outside)
        assert len(marked) - len(outside) > 0
    headings = {item.title for item in reader.outline if not isinstance(item, list)}
    assert {c.title for c in document.chapters if c.kind != "chapter"} <= {h.split(". ", 1)[-1] for h in headings}
