"""The questionnaire as the checks see it: which grids hold årsverk (and for which target group), which other
questions are counted in årsverk, the sections, and a readable label for every variable. Built from the version's
Definition, so a new version needs no code change."""

from __future__ import annotations

from kartlegg.surveys.engine import Definition, Question

from .base import Grid, Layout, SectionInfo

FTE_UNITS = {"årsverk", "arsverk", "fte"}
TARGET_LABELS = {"voksne": "årsverk for voksne", "barn_og_unge": "årsverk for barn og unge", "totalt": "årsverk"}


def _grid_target(question: Question) -> str | None:
    """The target group of an årsverk grid, or None when the grid does not hold årsverk."""
    tags = [t.lower() for t in question.tags]
    is_fte = any(t.startswith("arsverk") or t.startswith("årsverk") for t in tags) or (
        question.unit.strip().lower() in FTE_UNITS
    )
    if not is_fte:
        return None
    text = " ".join(tags) + " " + question.label.lower()
    if "barn" in text or "unge" in text:
        return "barn_og_unge"
    if "voksne" in text:
        return "voksne"
    return "totalt"


def layout_for(definition: Definition, previous: Definition | None = None) -> Layout:
    grids: list[Grid] = []
    fte_questions: list[str] = []
    labels: dict[str, str] = {}
    sections: list[SectionInfo] = []
    for section in definition.sections:
        section_grids: list[str] = []
        value_codes: list[str] = []
        for question in section.questions:
            labels[question.code] = question.label
            if question.is_grid:
                value_codes.extend(question.cell_codes())
                row_labels, col_labels = dict(question.rows), dict(question.columns)
                target = _grid_target(question)
                short = TARGET_LABELS.get(target or "", question.label)
                for r, _ in question.rows:
                    for c, _ in question.columns:
                        labels[f"{question.code}.{r}.{c}"] = f"{row_labels[r]} – {col_labels[c]} ({short})"
                    labels[f"{question.code}.{r}"] = f"{row_labels[r]} ({short})"
                if target is None:
                    continue
                previous_code = question.continues or question.code
                if previous is not None:
                    found = previous.questions.get(previous_code)
                    previous_code = previous_code if found is not None and found.is_grid else ""
                grids.append(
                    Grid(
                        code=question.code,
                        label=short,
                        target=target,
                        rows=tuple(r for r, _ in question.rows),
                        columns=tuple(c for c, _ in question.columns),
                        previous_code=previous_code,
                    )
                )
                section_grids.append(question.code)
            else:
                value_codes.append(question.code)
                if question.is_numeric and question.unit.strip().lower() in FTE_UNITS:
                    fte_questions.append(question.code)
        sections.append(
            SectionInfo(
                code=section.code,
                title=section.title,
                questions=tuple(q.code for q in section.questions),
                value_codes=tuple(value_codes),
                grids=tuple(section_grids),
                text_only=all(q.type == "text" for q in section.questions),
            )
        )
    return Layout(
        definition=definition,
        grids=tuple(grids),
        fte_questions=tuple(fte_questions),
        sections=tuple(sections),
        labels=labels,
    )
