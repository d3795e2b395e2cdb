"""Laying out parts of a long PDF apart and joining them into one tagged PDF. No Django here: the functions run in
worker processes (spawned, so they never inherit a web or task worker's threads and connections).

WeasyPrint's time and memory grow with the size of one document, so the report is laid out in parts (front matter
and chapters; the appendix in chunks; the profiles in batches), each a document of its own, and the parts are joined
with pypdf. The join keeps PDF/UA: the first part's catalogue (language, metadata, viewer preferences, MarkInfo)
stays, every later part's structure elements go under the first part's Document element, its parent-tree entries
move to free keys (the pages' /StructParents and the annotations' /StructParent follow), and its bookmarks are
appended to the outline.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

BASE_URL = str(Path(__file__).resolve().parent.parent / "lib")  # where lib/print.css lives (fonts are file:// URLs)
PDF_VARIANT = "pdf/ua-1"
T = TypeVar("T")


def count_pages(html: str, css: str) -> tuple[int, float]:
    """Lay the document out (no PDF written) and count its pages: (pages, CPU seconds)."""
    from weasyprint import CSS, HTML

    started = time.process_time()
    document = HTML(string=html, base_url=BASE_URL).render(
        stylesheets=[CSS(string=css, base_url=BASE_URL)], pdf_variant=PDF_VARIANT
    )
    return len(document.pages), time.process_time() - started


def render_part(html: str, css: str) -> tuple[int, bytes, float, float]:
    """Lay the document out and write it as a tagged PDF: (pages, PDF, this process's peak memory in MiB, CPU
    seconds)."""
    from weasyprint import CSS, HTML

    started = time.process_time()
    document = HTML(string=html, base_url=BASE_URL).render(
        stylesheets=[CSS(string=css, base_url=BASE_URL)], pdf_variant=PDF_VARIANT
    )
    content: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return len(document.pages), content, peak, time.process_time() - started


def _warm() -> None:
    import weasyprint  # noqa: F401 - imported once per worker, before the first part arrives


class Runner:
    """Runs parts in `workers` spawned processes (1: in this process). Use as a context manager."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Runner:
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def map(self, function: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
        if self.pool is None:
            return [function(*job) for job in jobs]
        futures = [self.pool.submit(function, *job) for job in jobs]
        return [future.result() for future in futures]


def join_tagged(parts: Sequence[bytes]) -> bytes:
    """One tagged PDF from parts made by WeasyPrint with pdf_variant="pdf/ua-1", in order."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(parts[0])))
    root: Any = writer.root_object
    tree: Any = root["/StructTreeRoot"].get_object()
    document: Any = _as_list(tree["/K"])[0].get_object()  # WeasyPrint's one Document element
    kids = document.get("/K")
    if not isinstance(kids, ArrayObject):
        kids = ArrayObject([] if kids is None else [kids])
        document[NameObject("/K")] = kids
    nums: Any = tree["/ParentTree"].get_object()["/Nums"]
    next_key = _next_key(nums)
    outlines = root.get("/Outlines")
    for data in parts[1:]:
        reader = PdfReader(io.BytesIO(data))
        catalog: Any = reader.trailer["/Root"]
        source: Any = catalog["/StructTreeRoot"].get_object()
        offset = next_key
        page: Any
        for page in reader.pages:
            added: Any = writer.add_page(page)
            if "/StructParents" in page:
                added[NameObject("/StructParents")] = NumberObject(int(page["/StructParents"]) + offset)
            for link in added.get("/Annots") or []:
                annotation: Any = link.get_object()
                if "/StructParent" in annotation:
                    annotation[NameObject("/StructParent")] = NumberObject(int(annotation["/StructParent"]) + offset)
        source_document: Any = _as_list(source["/K"])[0].get_object()
        for kid in _as_list(source_document.get("/K")):
            cloned = kid.clone(writer)
            element = cloned.get_object()
            if hasattr(element, "keys") and "/P" in element:
                element[NameObject("/P")] = document.indirect_reference
            kids.append(cloned)
        source_nums: Any = source["/ParentTree"].get_object()["/Nums"]
        for index in range(0, len(source_nums), 2):
            nums.append(NumberObject(int(source_nums[index]) + offset))
            nums.append(source_nums[index + 1].clone(writer))
        next_key = offset + _next_key(source_nums)
        if outlines is not None:
            _append_outline(writer, outlines.get_object(), catalog.get("/Outlines"))
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    value = value.get_object() if hasattr(value, "get_object") else value
    return list(value) if isinstance(value, list) else [value]


def _next_key(nums: Sequence[Any]) -> int:
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys) + 1 if keys else 0


def _append_outline(writer: Any, outlines: Any, source: Any) -> None:
    """Append a part's top-level bookmarks (with their children) after the joined document's last one."""
    from pypdf.generic import NameObject, NumberObject

    if source is None or "/First" not in source.get_object():
        return
    source = source.get_object()
    item = source["/First"].clone(writer).get_object()  # follows /Next and /First: the part's whole outline
    last_before = outlines.get("/Last")
    if last_before is not None:
        last_before.get_object()[NameObject("/Next")] = item.indirect_reference
        item[NameObject("/Prev")] = last_before
    else:
        outlines[NameObject("/First")] = item.indirect_reference
    added = 0
    while True:
        item[NameObject("/Parent")] = outlines.indirect_reference
        added += 1
        if "/Next" not in item:
            break
        item = item["/Next"].get_object()
    outlines[NameObject("/Last")] = item.indirect_reference
    outlines[NameObject("/Count")] = NumberObject(int(outlines.get("/Count", 0)) + int(source.get("/Count", added)))
