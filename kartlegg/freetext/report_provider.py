"""The annual report's free-text chapter reads the coded themes through this provider (registered in apps.ready into
`reports.sources.FREE_TEXT_PROVIDERS`; reports sits below freetext and never imports it).

For a year: every codebook whose questions are in the year's annual round and that has confirmed codes there gives
one question: per theme the number and share of units (share of the units with a coded, relevant answer, N), and at
most two quotes that an analyst marked publishable and whose masked text was confirmed (never raw answers). Codes are
not part of a data version: the report reads them as they are when it is built and keeps what it got.
"""

from __future__ import annotations

from typing import Any

from kartlegg.analytics.services import annual_rounds

from .models import Codebook, Coding
from .services.summary import summary_for


def coded_free_text(year: int, data_version: str = "live") -> list[dict[str, Any]]:
    """[{"key", "question", "denominator", "answered", "coded", "method", "themes": [{"key", "label", "count",
    "share", "quotes"}]}] for the year's coded free-text questions; [] when none is coded."""
    round_obj = annual_rounds().get(year)
    if round_obj is None:
        return []
    questions = set(round_obj.definition().questions)
    found = []
    for book in Codebook.objects.order_by("pk"):
        if not questions & set(book.questions or []):
            continue
        if not Coding.objects.filter(codebook=book, confirmed=True, answer__response__round=round_obj).exists():
            continue
        summary = summary_for(book, round_obj)
        if not summary.denominator:
            continue
        found.append(
            {
                "key": f"k{book.pk}",
                "question": summary.question,
                "denominator": summary.denominator,
                "answered": summary.answered,
                "coded": summary.coded,
                "method": summary.method,
                "themes": [
                    {"key": t.key, "label": t.label, "count": t.count, "share": t.share, "quotes": list(t.quotes)}
                    for t in summary.themes
                ],
            }
        )
    return found
