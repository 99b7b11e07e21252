"""Probability calibration (Platt scaling) and expected calibration error."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def fit_platt(
    scores: FloatArray, labels: FloatArray, weights: FloatArray | None = None, iterations: int = 50
) -> tuple[float, float]:
    """Slope and offset of P(y=1 | s) = sigmoid(a·s + b), fitted by Newton's method.

    Targets use Platt's prior correction, so a class with few or no positives still gets a
    finite, sensible mapping instead of a degenerate one.
    """
    w = np.ones_like(scores) if weights is None else weights
    positives = float(w[labels > 0.5].sum())
    negatives = float(w[labels <= 0.5].sum())
    target = np.where(labels > 0.5, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    a, b = 1.0, float(np.log((positives + 1.0) / (negatives + 1.0)))
    for _ in range(iterations):
        p = sigmoid(a * scores + b)
        g = w * (p - target)
        h = w * np.maximum(p * (1.0 - p), 1e-12)
        grad = np.array([np.dot(g, scores), g.sum()])
        hess = np.array(
            [[np.dot(h, scores * scores), np.dot(h, scores)], [np.dot(h, scores), h.sum()]]
        ) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-8:
            break
    return a, b


def fit_platt_columns(
    scores: FloatArray, labels: FloatArray, weights: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    pairs = [fit_platt(scores[:, j], labels[:, j], weights) for j in range(scores.shape[1])]
    return (
        np.array([p[0] for p in pairs], dtype=np.float64),
        np.array([p[1] for p in pairs], dtype=np.float64),
    )


def expected_calibration_error(
    confidence: FloatArray, correct: FloatArray, bins: int = 10
) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(float(confidence[mask].mean()) - float(correct[mask].mean()))
    return float(error)
