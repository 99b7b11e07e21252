"""Metrics of a model on labelled records, and their plain-text report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ml.calibration import expected_calibration_error
from ml.classifier import Classifier
from ml.corpus import Example
from ml.labels import OUT_OF_SCOPE
from ml.model import AUTO_ROUTED, DECISIONS, OUT_OF_SCOPE_DECISION, Scores, TrainedModel


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


def summarize(
    examples: Sequence[Example],
    area_ids: Sequence[str],
    paragraph_numbers: Sequence[int],
    scores: Scores,
    decisions: Sequence[str],
) -> dict[str, Any]:
    """All metrics from per-record scores and decisions (shared by evaluation and training CV)."""
    top = scores.areas.argmax(axis=1) if len(examples) else np.zeros(0, dtype=np.int64)
    predicted = [area_ids[i] for i in top.tolist()]
    ranked = np.argsort(-scores.paragraphs, axis=1, kind="stable")[:, :3]
    top3 = [{paragraph_numbers[i] for i in row} for row in ranked.tolist()]
    in_scope = [e.in_scope for e in examples]
    hit = [e.in_scope and p in e.areas for e, p in zip(examples, predicted, strict=True)]
    primary = [e.in_scope and p == e.primary_area for e, p in zip(examples, predicted, strict=True)]
    para_hit = [
        bool(e.paragraphs) and e.paragraphs[0] in t for e, t in zip(examples, top3, strict=True)
    ]
    auto = [d == AUTO_ROUTED for d in decisions]
    n_in = sum(in_scope)
    n_out = len(examples) - n_in

    def slice_metrics(rows: list[int]) -> dict[str, Any]:
        rows_in = [i for i in rows if in_scope[i]]
        rows_auto = [i for i in rows if auto[i]]
        return {
            "n": len(rows),
            "area_top1": _ratio(sum(hit[i] for i in rows_in), len(rows_in)),
            "primary_accuracy": _ratio(sum(primary[i] for i in rows_in), len(rows_in)),
            "paragraph_hit3": _ratio(sum(para_hit[i] for i in rows_in), len(rows_in)),
            "auto_precision": _ratio(sum(hit[i] for i in rows_auto), len(rows_auto)),
            "auto_coverage": _ratio(sum(auto[i] for i in rows_in), len(rows_in)),
        }

    per_language = {
        lang: slice_metrics([i for i, e in enumerate(examples) if e.language == lang])
        for lang in sorted({e.language for e in examples})
    }
    truth = [e.primary_area for e in examples]
    guess = [
        OUT_OF_SCOPE if d == OUT_OF_SCOPE_DECISION else p
        for d, p in zip(decisions, predicted, strict=True)
    ]
    per_area: dict[str, dict[str, float]] = {}
    for area in [*area_ids, OUT_OF_SCOPE]:
        tp = sum(t == area and g == area for t, g in zip(truth, guess, strict=True))
        fp = sum(t != area and g == area for t, g in zip(truth, guess, strict=True))
        fn = sum(t == area and g != area for t, g in zip(truth, guess, strict=True))
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_area[area] = {
            "support": tp + fn,
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
        }
    per_paragraph: dict[str, dict[str, float]] = {}
    for number in sorted({e.paragraphs[0] for e in examples if e.paragraphs}):
        rows = [i for i, e in enumerate(examples) if e.paragraphs and e.paragraphs[0] == number]
        per_paragraph[str(number)] = {
            "support": len(rows),
            "hit3": _ratio(sum(para_hit[i] for i in rows), len(rows)),
        }
    confusions = Counter(
        (e.primary_area, p)
        for e, p, d in zip(examples, predicted, decisions, strict=True)
        if e.in_scope and p not in e.areas
    )
    confusions.update(
        (OUT_OF_SCOPE, p)
        for e, p, d in zip(examples, predicted, decisions, strict=True)
        if not e.in_scope and d == AUTO_ROUTED
    )
    auto_rows = [i for i in range(len(examples)) if auto[i]]
    correct = np.array(hit, dtype=np.float64)
    overall = slice_metrics(list(range(len(examples))))
    return {
        **overall,
        "n_in_scope": n_in,
        "n_out_of_scope": n_out,
        "auto_count": len(auto_rows),
        "auto_primary_precision": _ratio(sum(primary[i] for i in auto_rows), len(auto_rows)),
        "out_of_scope_not_auto": _ratio(
            sum(not auto[i] for i in range(len(examples)) if not in_scope[i]), n_out
        ),
        "out_of_scope_recall": _ratio(
            sum(
                decisions[i] == OUT_OF_SCOPE_DECISION
                for i in range(len(examples))
                if not in_scope[i]
            ),
            n_out,
        ),
        "in_scope_marked_out": _ratio(
            sum(decisions[i] == OUT_OF_SCOPE_DECISION for i in range(len(examples)) if in_scope[i]),
            n_in,
        ),
        "decisions": {d: sum(x == d for x in decisions) for d in DECISIONS},
        "ece": expected_calibration_error(scores.route, correct),
        "ece_top_area": expected_calibration_error(
            scores.areas.max(axis=1) if len(examples) else correct, correct
        ),
        "per_language": per_language,
        "per_area": per_area,
        "per_paragraph": per_paragraph,
        "confusions": [
            {"primary": a, "predicted": b, "count": c} for (a, b), c in confusions.most_common(10)
        ],
    }


def evaluate(
    model_or_classifier: TrainedModel | Classifier, examples: Sequence[Example]
) -> dict[str, Any]:
    classifier = (
        model_or_classifier
        if isinstance(model_or_classifier, Classifier)
        else Classifier.from_model(model_or_classifier)
    )
    model = classifier.model
    scores, decisions, _ = classifier.score_texts([e.text for e in examples])
    return summarize(examples, model.area_ids, model.paragraph_numbers, scores, decisions)


def format_report(metrics: dict[str, Any]) -> str:
    """A plain-text table of the headline figures, per language and per area."""
    lines = [
        f"records {metrics['n']} (in scope {metrics['n_in_scope']}, "
        f"out of scope {metrics['n_out_of_scope']})",
        f"area top-1            {metrics['area_top1']:.3f}",
        f"primary-area accuracy {metrics['primary_accuracy']:.3f}",
        f"paragraph hit@3       {metrics['paragraph_hit3']:.3f}",
        f"auto-route precision  {metrics['auto_precision']:.3f}  "
        f"(primary {metrics['auto_primary_precision']:.3f})",
        f"auto-route coverage   {metrics['auto_coverage']:.3f}  ({metrics['auto_count']} routed)",
        f"out of scope not auto {metrics['out_of_scope_not_auto']:.3f}  "
        f"(marked out of scope {metrics['out_of_scope_recall']:.3f}; "
        f"in scope marked out {metrics['in_scope_marked_out']:.3f})",
        f"calibration error     {metrics['ece']:.3f}  "
        f"(top-area score {metrics['ece_top_area']:.3f})",
        "decisions             " + ", ".join(f"{k} {v}" for k, v in metrics["decisions"].items()),
        "",
        f"{'language':<10}{'n':>6}{'top-1':>8}{'primary':>9}{'hit@3':>8}{'auto P':>8}{'cover':>8}",
    ]
    for lang, m in metrics["per_language"].items():
        lines.append(
            f"{lang:<10}{m['n']:>6}{m['area_top1']:>8.3f}{m['primary_accuracy']:>9.3f}"
            f"{m['paragraph_hit3']:>8.3f}{m['auto_precision']:>8.3f}{m['auto_coverage']:>8.3f}"
        )
    lines += ["", f"{'area':<26}{'support':>8}{'prec':>8}{'recall':>8}{'f1':>8}"]
    for area, m in metrics["per_area"].items():
        lines.append(
            f"{area:<26}{m['support']:>8}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}"
        )
    lines += [
        "",
        "paragraph hit@3: "
        + "  ".join(
            f"¶{k} {v['hit3']:.2f}/{v['support']}" for k, v in metrics["per_paragraph"].items()
        ),
    ]
    if metrics["confusions"]:
        lines += ["", "most frequent confusions (primary -> predicted):"]
        lines += [
            f"  {c['primary']} -> {c['predicted']}: {c['count']}" for c in metrics["confusions"]
        ]
    return "\n".join(lines)
