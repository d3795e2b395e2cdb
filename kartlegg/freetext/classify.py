"""Code suggestions learned from the answers already coded. Pure: texts and code keys in, scores out; no ORM.

Features: TF-IDF over stems (with negated stems marked `NEG_`, uni- and bigrams) and over character n-grams of the
non-negated words. One linear SVM per code, its margin calibrated to a confidence by Platt scaling on out-of-fold
margins.
The codebook's include examples are extra positive documents for their code (and negative ones for the others),
its exclude examples extra negatives. A code with too few coded positives falls back to keyword rules from its
label and include examples, so the coder gets suggestions from the first answer on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from . import textproc

MIN_POSITIVES = 4  # coded answers with the code before its classifier replaces the keyword rule
MIN_CODED = 15  # coded answers before any classifier is trained
THRESHOLD = 0.5  # a score at or above this is suggested
CHAR_NGRAMS = (3, 4)
RULE_MAX = 0.85  # keyword rules never claim more confidence than this
# Stems that nearly every answer has ("brukerne", "tjenestene", "kommunen"): no evidence for any code in a rule.
GENERIC_STEMS = frozenset({"bruker", "brukern", "tjenest", "kommun", "ansatt", "period", "situasjon"})


@dataclass(frozen=True)
class CodeSpec:
    key: str
    label: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    is_other: bool = False


@dataclass
class Prediction:
    scores: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)  # code → "modell" or "regel"

    def codes(self, threshold: float = THRESHOLD) -> list[str]:
        return [code for code, score in self.scores.items() if score >= threshold]

    def uncertainty(self) -> float:
        """1 at a score of 0,5 for some code, 0 when every score is 0 or 1: for "most uncertain first"."""
        if not self.scores:
            return 1.0
        return max(1 - 2 * abs(score - 0.5) for score in self.scores.values())


class Suggester:
    """fit(texts, labels) then predict(texts). `labels` are sets of code keys, one per text."""

    def __init__(
        self,
        codes: Sequence[CodeSpec],
        *,
        use_examples: bool = True,
        calibrate: bool = True,
        min_positives: int = MIN_POSITIVES,
        min_coded: int = MIN_CODED,
    ) -> None:
        self.codes = list(codes)
        self.use_examples = use_examples
        self.calibrate = calibrate
        self.min_positives = min_positives
        self.min_coded = min_coded
        self.models: dict[str, CodeModel] = {}
        self.word: TfidfVectorizer | None = None
        self.char: TfidfVectorizer | None = None
        self._rules = {c.key: _rule_sets(c) for c in self.codes}

    def _features(self, texts: Sequence[str], fit: bool = False) -> sparse.csr_matrix:
        words = [textproc.word_text(t) for t in texts]
        chars = [textproc.char_text(t) for t in texts]
        if fit:
            self.word = TfidfVectorizer(
                token_pattern=r"\S+",  # noqa: S106 - a regex, not a password
                ngram_range=(1, 2),
                sublinear_tf=True,
                lowercase=False,
            )
            self.char = TfidfVectorizer(
                analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, max_features=60_000
            )
            return sparse.hstack([self.word.fit_transform(words), self.char.fit_transform(chars)]).tocsr()
        assert self.word is not None and self.char is not None
        return sparse.hstack([self.word.transform(words), self.char.transform(chars)]).tocsr()

    def _examples(self) -> tuple[list[str], list[set[str]], list[str]]:
        """Example texts, their positive codes, and for exclude examples the one code they are negative for."""
        texts: list[str] = []
        positives: list[set[str]] = []
        negative_for: list[str] = []
        if not self.use_examples:
            return texts, positives, negative_for
        for code in self.codes:
            for text in code.include:
                texts.append(text)
                positives.append({code.key})
                negative_for.append("")
            for text in code.exclude:
                texts.append(text)
                positives.append(set())
                negative_for.append(code.key)
        return texts, positives, negative_for

    def fit(self, texts: Sequence[str], labels: Sequence[set[str]]) -> Suggester:
        self.models = {}
        if len(texts) < self.min_coded:
            return self
        ex_texts, ex_pos, ex_neg = self._examples()
        matrix = self._features(list(texts) + ex_texts, fit=True)
        n = len(texts)
        for code in self.codes:
            y_coded = np.array([code.key in found for found in labels], dtype=int)
            if y_coded.sum() < self.min_positives or y_coded.sum() > n - self.min_positives:
                continue
            # An exclude example is a negative only for its own code; include examples count for every code.
            keep = np.array([i for i in range(len(ex_texts)) if ex_pos[i] or ex_neg[i] == code.key], dtype=int)
            y_ex = np.array([int(code.key in ex_pos[i]) for i in keep], dtype=int)
            self.models[code.key] = _train(matrix[:n], y_coded, matrix[n + keep], y_ex, self.calibrate)
        return self

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        out = [Prediction({}, {}) for _ in texts]
        if self.models:
            matrix = self._features(texts)
            for key, model in self.models.items():
                for pred, p in zip(out, model.probabilities(matrix), strict=True):
                    pred.scores[key] = round(float(p), 3)
                    pred.sources[key] = "modell"
        for code in self.codes:
            if code.key in self.models:
                continue
            for pred, text in zip(out, texts, strict=True):
                pred.scores[code.key] = rule_score(self._rules[code.key], text)
                pred.sources[code.key] = "regel"
        # "Ikke relevant / annet" means that nothing else applies: at least as likely as every other code is not.
        for code in self.codes:
            if code.is_other:
                for pred, text in zip(out, texts, strict=True):
                    top = max((s for k, s in pred.scores.items() if k != code.key), default=0.0)
                    rest = 1 - top
                    if code.key not in self.models and len(textproc.content_stems(text)) > 3:
                        # Keyword rules miss much: a longer answer that matches none is not thereby irrelevant.
                        rest *= 0.45
                    pred.scores[code.key] = round(max(pred.scores.get(code.key, 0.0), rest), 3)
        return out


@dataclass
class CodeModel:
    """A linear classifier (weights and intercept) and the Platt scaling that turns its margin into a probability."""

    coef: np.ndarray
    intercept: float
    a: float = 2.0
    b: float = 0.0

    def margins(self, matrix: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(matrix @ self.coef).ravel() + self.intercept

    def probabilities(self, matrix: sparse.csr_matrix) -> np.ndarray:
        return _sigmoid(self.a * self.margins(matrix) + self.b)


def _svm() -> LinearSVC:
    return LinearSVC(C=1.0, class_weight="balanced", tol=1e-3)


FOLDS = 2  # folds for the out-of-fold margins that Platt scaling is fitted on


def _train(
    coded: sparse.csr_matrix, y: np.ndarray, examples: sparse.csr_matrix, y_ex: np.ndarray, calibrate: bool
) -> CodeModel:
    """Fit on the coded answers and the examples. With `calibrate`, Platt scaling is fitted on out-of-fold margins
    of the coded answers (FOLDS folds, the examples always in training), so the confidence is honest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm = _svm().fit(sparse.vstack([coded, examples]).tocsr(), np.concatenate([y, y_ex]))
        model = CodeModel(svm.coef_.ravel(), float(svm.intercept_[0]))
        if not calibrate:
            return model
        margins = np.zeros(len(y))
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
        for train, test in folds.split(np.zeros(len(y)), y):
            fold = _svm().fit(sparse.vstack([coded[train], examples]).tocsr(), np.concatenate([y[train], y_ex]))
            margins[test] = fold.decision_function(coded[test])
    model.a, model.b = platt(margins, y)
    return model


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))


def platt(margins: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Platt scaling: A, B so that sigmoid(A·margin + B) fits the labels, with Platt's smoothed targets, by Newton's
    method on the two parameters (Lin, Lin and Weng 2007, simplified). Returns (A, B)."""
    positives, negatives = float(y.sum()), float(len(y) - y.sum())
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, float(np.log((negatives + 1) / (positives + 1)) * -1)
    for _ in range(iterations):
        p = _sigmoid(a * margins + b)
        gradient = np.array([np.sum((p - target) * margins), np.sum(p - target)])
        w = np.maximum(p * (1 - p), 1e-12)
        hessian = np.array(
            [[np.sum(w * margins * margins) + 1e-9, np.sum(w * margins)], [np.sum(w * margins), np.sum(w) + 1e-9]]
        )
        step = np.linalg.solve(hessian, gradient)
        a, b = a - float(step[0]), b - float(step[1])
        if np.abs(step).max() < 1e-7:
            break
    return a, b


# Keyword rules (before enough answers are coded)


def _rule_sets(code: CodeSpec) -> list[set[str]]:
    sets = [textproc.content_stems(t) for t in (code.label, *code.include)]
    return [s for s in sets if s]


def _matches(needle: str, stems: set[str]) -> bool:
    if needle in stems:
        return True
    # Compounds: "gruppetilbud" matches "tilbud" and the other way round, for stems of five letters or more.
    # A short stem that begins a compound counts too ("dag" in "dagsenteret").
    return any(
        (len(needle) >= 5 and len(s) >= 5 and (needle in s or s in needle))
        or (len(needle) >= 3 and len(s) >= len(needle) + 3 and s.startswith(needle))
        for s in stems
    )


def rule_score(rules: Sequence[set[str]], text: str) -> float:
    """How well `text` matches one of the code's examples (or its label): the share of the example's content words
    found, not negated. A suggestion (≥ 0,5) needs the whole example, or two of its words and at least half; one
    shared word of a longer example stays a weak hint. At most RULE_MAX."""
    if not rules:
        return 0.0
    found = textproc.content_stems(text) - GENERIC_STEMS
    negated = textproc.negated_stems(text)
    best = 0.0
    for example in rules:
        example = example - GENERIC_STEMS
        if not example:
            continue
        hits = sum(1 for s in example if _matches(s, found))
        if any(_matches(s, negated) for s in example):
            hits = max(0, hits - 1)
        share = hits / len(example)
        strong = hits == len(example) or (hits >= 2 and share >= 0.5)
        best = max(best, RULE_MAX * share if strong else 0.4 * share)
    return round(best, 3)


# The plain baseline the benchmark compares with


class Baseline:
    """Plain TF-IDF over words and one logistic regression per code (classes balanced, nothing else): what the
    benchmark must beat."""

    def __init__(self, codes: Sequence[CodeSpec]) -> None:
        self.codes = [c.key for c in codes]
        self.vectorizer = TfidfVectorizer()
        self.models: dict[str, LogisticRegression] = {}

    def fit(self, texts: Sequence[str], labels: Sequence[set[str]]) -> Baseline:
        matrix = self.vectorizer.fit_transform(texts)
        for key in self.codes:
            y = np.array([key in found for found in labels], dtype=int)
            if 0 < y.sum() < len(y):
                self.models[key] = LogisticRegression(class_weight="balanced", max_iter=1000).fit(matrix, y)
        return self

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        matrix = self.vectorizer.transform(texts)
        out = [Prediction({}) for _ in texts]
        for key in self.codes:
            probs = self.models[key].predict_proba(matrix)[:, 1] if key in self.models else np.zeros(len(texts))
            for pred, p in zip(out, probs, strict=True):
                pred.scores[key] = float(p)
        return out
