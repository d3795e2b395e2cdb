"""Free-text suggestions: accuracy by cross-validation on a Norwegian gold set, and training/prediction times.

    .venv/bin/python benchmarks/freetext.py [--answers 400] [--train 100] [--folds 5] [--large 30000]

The gold set (benchmarks/_freetext_gold.py) has gold codes and negations ("dagtilbudet er ikke stengt"). Each fold
trains on `--train` answers and predicts the rest; the figures are macro-F1 over the codes and F1 per code, for
kartlegg's suggester (stems, negation, codebook examples, calibrated per-code logistic regression) and a plain
TF-IDF + logistic regression baseline in the same run. Then training and prediction time at 300 and `--large`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _freetext_gold import OTHER, GoldAnswer, gold_set  # noqa: E402

from kartlegg.freetext.classify import Baseline, CodeSpec, Suggester  # noqa: E402
from kartlegg.freetext.codebook_io import parse_codebook  # noqa: E402
from kartlegg.freetext.metrics import f1_scores  # noqa: E402

CODEBOOK = ROOT / "kartlegg" / "freetext" / "data" / "korona2020.yaml"


def code_specs() -> list[CodeSpec]:
    book = parse_codebook(CODEBOOK.read_text(encoding="utf-8"))
    return [
        CodeSpec(c.key, c.label, tuple(c.include), tuple(c.exclude), c.is_other)
        for c in book.codes()
        if not c.is_other or c.key == OTHER
    ]


def cross_validate(answers: list[GoldAnswer], train_size: int, folds: int, make) -> tuple[float, dict[str, float]]:  # type: ignore[no-untyped-def]
    keys = [c.key for c in code_specs()]
    gold: list[set[str]] = []
    predicted: list[set[str]] = []
    for fold in range(folds):
        order = list(range(len(answers)))
        random.Random(fold).shuffle(order)
        train, test = order[:train_size], order[train_size:]
        model = make().fit([answers[i].text for i in train], [set(answers[i].codes) for i in train])
        for i, pred in zip(test, model.predict([answers[i].text for i in test]), strict=True):
            gold.append(set(answers[i].codes))
            predicted.append(set(pred.codes()))
    return f1_scores(gold, predicted, keys)


def timing(n: int) -> tuple[float, float, float, float]:
    """Wall-clock and CPU seconds for training on n answers and predicting them (CPU time shows the work when
    the machine is shared)."""
    answers = gold_set(n, seed=7)
    texts, labels = [a.text for a in answers], [set(a.codes) for a in answers]
    wall, cpu = time.perf_counter(), time.process_time()
    model = Suggester(code_specs()).fit(texts, labels)
    trained, trained_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    model.predict(texts)
    return trained, trained_cpu, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=400)
    parser.add_argument("--train", type=int, default=100)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--large", type=int, default=int(os.environ.get("FREETEXT_BENCH_LARGE", "30000")))
    args = parser.parse_args()
    answers = gold_set(args.answers)
    specs = code_specs()
    print(f"Gullsett: {len(answers)} svar, {len(specs)} koder; trening på {args.train} svar, {args.folds} omganger.")
    ours, per_code = cross_validate(answers, args.train, args.folds, lambda: Suggester(specs))
    base, base_per_code = cross_validate(answers, args.train, args.folds, lambda: Baseline(specs))
    plain, _ = cross_validate(answers, args.train, args.folds, lambda: Suggester(specs, use_examples=False))
    uncal, _ = cross_validate(answers, args.train, args.folds, lambda: Suggester(specs, calibrate=False))
    print(f"\nMakro-F1, kartlegg:                      {ours:.3f}")
    print(f"Makro-F1, uten kodebokens eksempler:     {plain:.3f}")
    print(f"Makro-F1, uten kalibrering:              {uncal:.3f}")
    print(f"Makro-F1, grunnlinje TF-IDF + LogReg:    {base:.3f}")
    print("\nF1 per kode (kartlegg / grunnlinje):")
    for key in per_code:
        print(f"  {key:<36} {per_code[key]:.3f} / {base_per_code[key]:.3f}")
    print(f"\nTid, vegg (CPU) – trening / prediksjon av alle; belastning nå {os.getloadavg()[0]:.1f}:")
    for n in (300, args.large):
        trained, trained_cpu, predicted, predicted_cpu = timing(n)
        print(f"  {n:>6} svar: {trained:6.2f} s ({trained_cpu:.2f}) / {predicted:6.2f} s ({predicted_cpu:.2f})")
    target = ours >= 0.80 and ours > base
    print(f"\nMål (makro-F1 ≥ 0,80 og over grunnlinjen): {'nådd' if target else 'IKKE nådd'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
