"""Training: features, ridge heads, calibration, and decision thresholds set by cross-validation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ml import linear
from ml.calibration import fit_platt, fit_platt_columns, sigmoid
from ml.corpus import Example, corpus_hash, keyword_examples, validate
from ml.evaluate import summarize
from ml.labels import LabelSpace
from ml.model import (
    LinearHead,
    Scores,
    Thresholds,
    TrainedModel,
    couple,
    decide,
    route_score,
)
from ml.pipeline import Featurizer

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]

FEEDBACK_WEIGHT = 3.0  # a desk officer's correction counts as much as three written examples
SECONDARY_TARGET = 0.5  # secondary areas are real labels, but the primary should rank first
FOLDS = 5
PENALTIES = (0.8, 1.6, 3.2)
MIXES = tuple(float(round(m, 2)) for m in np.linspace(0.0, 1.0, 11))
AUTO_TARGET = 0.98  # cross-validated precision aimed for; the requirement is 0.97
SCOPE_TARGET = 0.95  # precision of the out-of-scope decision in cross-validation
COUPLING_PRIOR = 3.0  # pseudo-records spread over an area's paragraphs, core first


def _targets(
    examples: Sequence[Example], label_space: LabelSpace, paragraphs: Sequence[int]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    areas = np.zeros((len(examples), len(label_space.areas)))
    paras = np.zeros((len(examples), len(paragraphs)))
    scope = np.zeros((len(examples), 1))
    area_col = {a: i for i, a in enumerate(label_space.area_ids)}
    para_col = {p: i for i, p in enumerate(paragraphs)}
    for row, e in enumerate(examples):
        if not e.in_scope:
            scope[row, 0] = 1.0
            continue
        for rank, area in enumerate(e.areas):
            areas[row, area_col[area]] = 1.0 if rank == 0 else SECONDARY_TARGET
        for number in e.paragraphs:
            paras[row, para_col[number]] = 1.0
    return areas, paras, scope


def _coupling(
    examples: Sequence[Example], label_space: LabelSpace, paragraphs: Sequence[int]
) -> FloatArray:
    """P(first paragraph | primary area): the label space's map smoothed by the records."""
    col = {p: i for i, p in enumerate(paragraphs)}
    matrix = np.zeros((len(label_space.areas), len(paragraphs)))
    for row, area in enumerate(label_space.areas):
        core, rest = area.paragraphs[0], area.paragraphs[1:]
        matrix[row, col[core]] += COUPLING_PRIOR * (2.0 / 3.0 if rest else 1.0)
        for number in rest:
            matrix[row, col[number]] += COUPLING_PRIOR / 3.0 / len(rest)
    for e in examples:
        if e.in_scope and e.paragraphs:
            matrix[label_space.index(e.primary_area), col[e.paragraphs[0]]] += e.weight
    normalised: FloatArray = matrix / matrix.sum(axis=1, keepdims=True)
    return normalised


def _top1(examples: Sequence[Example], area_ids: Sequence[str], probs: FloatArray) -> float:
    rows = [i for i, e in enumerate(examples) if e.in_scope]
    best = probs.argmax(axis=1)
    return float(np.mean([area_ids[best[i]] in examples[i].areas for i in rows])) if rows else 0.0


def _hit3(examples: Sequence[Example], numbers: Sequence[int], scores: FloatArray) -> float:
    rows = [i for i, e in enumerate(examples) if e.in_scope and e.paragraphs]
    ranked = np.argsort(-scores, axis=1, kind="stable")[:, :3]
    hits = [examples[i].paragraphs[0] in {numbers[j] for j in ranked[i]} for i in rows]
    return float(np.mean(hits)) if hits else 0.0


def _log_loss(probs: FloatArray, labels: FloatArray) -> float:
    p = np.clip(probs, 1e-9, 1 - 1e-9)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def _lowest_threshold(values: FloatArray, good: FloatArray, target: float, floor: float) -> float:
    """Smallest cut-off whose selection {value ≥ cut} reaches the target precision."""
    best = 1.0 + 1e-9
    for cut in sorted(set(values.tolist()), reverse=True):
        if cut < floor:
            break
        chosen = values >= cut
        if good[chosen].mean() >= target:
            best = cut
    return float(best)


def _select_penalties(
    examples: Sequence[Example],
    label_space: LabelSpace,
    oof: Sequence[FloatArray],
    member: FloatArray,
    groups: dict[str, slice],
) -> tuple[dict[str, float], FloatArray, FloatArray]:
    """Per group of outputs, the penalty whose out-of-fold predictions rank best.

    Returns the chosen penalties, the penalty of every output column, and the out-of-fold
    raw scores under those penalties.
    """
    chosen: dict[str, float] = {}
    columns = np.zeros(member.shape[1])
    raw_oof = np.zeros_like(member)
    for name, cols in groups.items():
        results = []
        for slot, penalty in enumerate(PENALTIES):
            slope, offset = fit_platt_columns(oof[slot][:, cols], member[:, cols])
            probs = sigmoid(oof[slot][:, cols] * slope + offset)
            fit = -_log_loss(probs, member[:, cols])
            if name == "areas":
                quality = (_top1(examples, label_space.area_ids, probs), fit)
            elif name == "paragraphs":
                quality = (_hit3(examples, label_space.paragraphs, probs), fit)
            else:
                quality = (fit, 0.0)
            results.append((quality, penalty, slot))
        # Best quality; among equals the stronger penalty, which generalises better.
        _, penalty, slot = max(results, key=lambda r: (r[0], r[1]))
        chosen[name] = penalty
        columns[cols] = penalty
        raw_oof[:, cols] = oof[slot][:, cols]
    return chosen, columns, raw_oof


def _decision_policy(
    examples: Sequence[Example], label_space: LabelSpace, area_p: FloatArray, scope_p: FloatArray
) -> tuple[tuple[float, float], Thresholds, FloatArray]:
    """Route calibration and thresholds from out-of-fold probabilities.

    The out-of-scope cut reaches SCOPE_TARGET precision; the auto cut reaches AUTO_TARGET
    precision overall and, where stricter, within each language.
    """
    top = area_p.argmax(axis=1).tolist()
    correct = np.array(
        [
            e.in_scope and label_space.area_ids[i] in e.areas
            for e, i in zip(examples, top, strict=True)
        ],
        dtype=np.float64,
    )
    route_raw = route_score(area_p, scope_p)
    calibration = fit_platt(route_raw, correct)
    route = sigmoid(calibration[0] * route_raw + calibration[1])
    out = np.array([not e.in_scope for e in examples], dtype=np.float64)
    scope_cut = _lowest_threshold(scope_p, out, SCOPE_TARGET, floor=0.5)
    kept = scope_p < scope_cut
    auto_cut = _lowest_threshold(route[kept], correct[kept], AUTO_TARGET, floor=0.5)
    languages = np.array([e.language for e in examples])
    by_language = {
        language: _lowest_threshold(
            route[kept & (languages == language)],
            correct[kept & (languages == language)],
            AUTO_TARGET,
            floor=0.5,
        )
        for language in sorted(set(languages.tolist()))
    }
    return calibration, Thresholds(auto_cut, scope_cut, by_language), route


def train(
    examples: Sequence[Example],
    label_space: LabelSpace,
    *,
    feedback: Sequence[Example] = (),
    progress: Progress | None = None,
    seed: int = 0,
    use_keywords: bool = True,
) -> TrainedModel:
    """Fit the model; thresholds come from out-of-fold predictions on `examples` only.

    Raises ValueError when the records do not fit the label space.
    """
    started = time.perf_counter()

    def step(name: str, fraction: float) -> None:
        if progress is not None:
            progress(name, fraction)

    problems = validate(examples, label_space)
    if problems:
        raise ValueError(f"{len(problems)} invalid records, e.g. {problems[:5]}")
    # A correction from the desk that no longer fits the label space (an area renamed since)
    # is skipped rather than blocking training; its language is not needed for training.
    feedback = [e for e in feedback if not validate([e], label_space, check_language=False)]
    if not any(e.in_scope for e in examples) or all(e.in_scope for e in examples):
        raise ValueError("training needs both in-scope and out-of-scope records")
    step("features", 0.0)
    extra = [replace(e, weight=e.weight * FEEDBACK_WEIGHT) for e in feedback]
    keywords = keyword_examples(label_space) if use_keywords else []
    everything = [*examples, *extra, *keywords]
    paragraphs = label_space.paragraphs
    featurizer = Featurizer()
    x = featurizer.fit_transform([e.text for e in everything])
    weights = np.array([e.weight for e in everything])
    y_area, y_para, y_scope = _targets(everything, label_space, paragraphs)
    targets = np.hstack([y_area, y_para, y_scope])
    step("kernel", 0.15)
    kernel = linear.gram(x)

    # Folds cover the written records only; keyword and feedback rows always train.
    n = len(examples)
    local = linear.stratified_folds(
        [f"{e.primary_area}/{e.language}" for e in examples], FOLDS, seed
    )
    always = np.arange(n, len(everything))
    folds = [(np.concatenate([tr, always]), held) for tr, held in local]
    step("cross-validation", 0.25)
    oof_all = linear.fold_predictions(kernel, targets, weights, folds, PENALTIES)
    oof = [o[:n] for o in oof_all]
    step("calibration", 0.7)
    n_a, n_p = y_area.shape[1], y_para.shape[1]
    member = (targets[:n] > 0).astype(np.float64)
    groups = {
        "areas": slice(0, n_a),
        "paragraphs": slice(n_a, n_a + n_p),
        "scope": slice(n_a + n_p, n_a + n_p + 1),
    }
    chosen, columns, raw_oof = _select_penalties(examples, label_space, oof, member, groups)
    slope, offset = fit_platt_columns(raw_oof, member)
    probs = sigmoid(raw_oof * slope + offset)
    area_p, own_p, scope_p = probs[:, :n_a], probs[:, n_a:-1], probs[:, -1]
    coupling = _coupling([*examples, *extra], label_space, paragraphs)
    mix = max(
        MIXES,
        key=lambda m: (
            _hit3(examples, paragraphs, couple(area_p, own_p, coupling, m)),
            -abs(m - 0.5),
        ),
    )
    route_calibration, thresholds, route = _decision_policy(examples, label_space, area_p, scope_p)
    oof_scores = Scores(
        areas=area_p, paragraphs=couple(area_p, own_p, coupling, mix), scope=scope_p, route=route
    )
    decisions, _ = decide(oof_scores, thresholds, [e.language for e in examples])
    cv = summarize(examples, label_space.area_ids, paragraphs, oof_scores, decisions)

    step("final fit", 0.8)
    dual, mean = linear.fit(kernel, targets, weights, columns)
    w, b = linear.primal(x, dual, mean)
    head = LinearHead(weights=w.astype(np.float32), intercept=b, slope=slope, offset=offset)
    created = datetime.now(UTC)
    digest = corpus_hash([*examples, *extra])
    settings: dict[str, Any] = {
        "penalties": chosen,
        "mix": mix,
        "folds": FOLDS,
        "seed": seed,
        "feedback_weight": FEEDBACK_WEIGHT,
        "secondary_target": SECONDARY_TARGET,
        "auto_target": AUTO_TARGET,
        "scope_target": SCOPE_TARGET,
        "keyword_examples": len(keywords),
        "feedback_examples": len(extra),
        "features": featurizer.n_features,
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    step("done", 1.0)
    return TrainedModel(
        label_space=label_space,
        featurizer=featurizer,
        head=head,
        paragraph_numbers=tuple(paragraphs),
        coupling=coupling,
        mix=mix,
        route_calibration=route_calibration,
        thresholds=thresholds,
        version=f"{created:%Y%m%d%H%M%S}-{digest[:8]}",
        created_at=created.isoformat(timespec="seconds"),
        corpus_hash=digest,
        training_size=len(everything),
        cv_metrics=cv,
        settings=settings,
    )
