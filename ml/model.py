"""The trained model's parameters and the array-level scoring shared by training and serving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ml.calibration import sigmoid
from ml.labels import LabelSpace
from ml.pipeline import Featurizer

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

AUTO_ROUTED = "auto_routed"
NEEDS_REVIEW = "needs_review"
OUT_OF_SCOPE_DECISION = "out_of_scope"
DECISIONS = (AUTO_ROUTED, NEEDS_REVIEW, OUT_OF_SCOPE_DECISION)


@dataclass(frozen=True)
class Thresholds:
    """Route automatically when P(top area right) ≥ the auto cut; out of scope when P(oos) ≥ scope.

    A language whose own cross-validated cut is stricter than the overall one uses its own, so
    precision holds in each language, not only on average.
    """

    auto: float
    scope: float
    auto_by_language: Mapping[str, float] = field(default_factory=dict)

    def auto_for(self, language: str | None) -> float:
        return max(self.auto, self.auto_by_language.get(language or "", self.auto))


@dataclass(frozen=True)
class Scores:
    areas: FloatArray  # rows × areas: calibrated P(area is one of the request's areas)
    paragraphs: FloatArray  # rows × paragraphs: own classifier mixed with the areas' map
    scope: FloatArray  # rows: calibrated P(out of scope)
    route: FloatArray  # rows: calibrated P(top area is right and the request in scope)


@dataclass(frozen=True)
class LinearHead:
    """Columns of one linear layer over the features, with Platt calibration per column."""

    # features × outputs, float32: serving reads a row of it per feature of the text, and half
    # the bytes is what that memory-bound step costs; scores move by about 1e-6.
    weights: npt.NDArray[np.float32]
    intercept: FloatArray
    slope: FloatArray
    offset: FloatArray

    def raw(self, x: sp.csr_matrix) -> FloatArray:
        # Built from x's arrays rather than by x.astype, which costs twice as much (it shows on
        # a single request).
        x32 = sp.csr_matrix((x.data.astype(np.float32), x.indices, x.indptr), shape=x.shape)
        product = x32 @ self.weights
        out: FloatArray = np.asarray(product, dtype=np.float64) + self.intercept
        return out

    def probabilities(self, raw: FloatArray) -> FloatArray:
        return sigmoid(raw * self.slope + self.offset)


@dataclass(frozen=True)
class TrainedModel:
    label_space: LabelSpace
    featurizer: Featurizer
    head: LinearHead  # columns: areas, then paragraphs, then the scope column
    paragraph_numbers: tuple[int, ...]
    coupling: FloatArray  # areas × paragraphs: P(first paragraph | primary area)
    mix: float  # weight of the paragraphs' own classifiers against the coupling
    route_calibration: tuple[float, float]  # Platt slope and offset on the route score's logit
    thresholds: Thresholds
    version: str
    created_at: str
    corpus_hash: str
    training_size: int
    cv_metrics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def area_ids(self) -> tuple[str, ...]:
        return self.label_space.area_ids

    def scores(self, x: sp.csr_matrix) -> Scores:
        return score_raw(
            self.head.raw(x),
            self.head,
            len(self.area_ids),
            self.coupling,
            self.mix,
            self.route_calibration,
        )


def couple(area_p: FloatArray, own: FloatArray, coupling: FloatArray, mix: float) -> FloatArray:
    """Paragraph scores: own classifiers mixed with the paragraphs the likely areas rest on."""
    total = np.maximum(area_p.sum(axis=1, keepdims=True), 1.0)
    # einsum rather than @: BLAS sums in an order that depends on the number of rows, and a
    # text's scores must not depend on the batch it came in.
    through_areas: FloatArray = np.einsum("ij,jk->ik", area_p / total, coupling)
    out: FloatArray = mix * own + (1.0 - mix) * through_areas
    return out


def route_score(area_p: FloatArray, scope_p: FloatArray) -> FloatArray:
    """Logit of P(top area) × P(in scope): the ranking that best separates right from wrong."""
    product = np.clip(area_p.max(axis=1) * (1.0 - scope_p), 1e-9, 1.0 - 1e-9)
    out: FloatArray = np.log(product / (1.0 - product))
    return out


def score_raw(
    raw: FloatArray,
    head: LinearHead,
    n_areas: int,
    coupling: FloatArray,
    mix: float,
    route_calibration: tuple[float, float],
) -> Scores:
    p = head.probabilities(raw)
    areas = p[:, :n_areas]
    scope = p[:, -1]
    paragraphs = couple(areas, p[:, n_areas:-1], coupling, mix)
    slope, offset = route_calibration
    route = sigmoid(slope * route_score(areas, scope) + offset)
    return Scores(areas=areas, paragraphs=paragraphs, scope=scope, route=route)


def decide(
    scores: Scores, thresholds: Thresholds, languages: Sequence[str | None]
) -> tuple[list[str], FloatArray]:
    """Decision per row and the calibrated probability behind it.

    Out of scope takes precedence; a needs-review row reports the probability that its top
    area is right, the figure that fell short of the auto-route threshold.
    """
    decisions: list[str] = []
    confidence = np.zeros(len(scores.scope), dtype=np.float64)
    rows = zip(scores.scope.tolist(), scores.route.tolist(), languages, strict=True)
    for row, (scope, route, language) in enumerate(rows):
        if scope >= thresholds.scope:
            decisions.append(OUT_OF_SCOPE_DECISION)
            confidence[row] = scope
        elif route >= thresholds.auto_for(language):
            decisions.append(AUTO_ROUTED)
            confidence[row] = route
        else:
            decisions.append(NEEDS_REVIEW)
            confidence[row] = route
    return decisions, confidence
