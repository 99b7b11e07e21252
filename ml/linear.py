"""Weighted multi-output ridge in its dual form, with k-fold predictions for many penalties."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# A constant feature, so the fitted function has an intercept beyond the target mean.
BIAS = 1.0


def gram(x: sp.csr_matrix) -> FloatArray:
    """X·Xᵀ plus the bias feature, dense: documents are few, features many."""
    product = (x @ x.T).toarray()
    return np.asarray(product, dtype=np.float64) + BIAS * BIAS


def _weighted_mean(y: FloatArray, w: FloatArray) -> FloatArray:
    mean: FloatArray = (w[:, None] * y).sum(axis=0) / w.sum()
    return mean


def fold_predictions(
    kernel: FloatArray,
    targets: FloatArray,
    weights: FloatArray,
    folds: Sequence[tuple[IntArray, IntArray]],
    penalties: Sequence[float],
) -> list[FloatArray]:
    """Out-of-fold predictions of every target, one array per penalty.

    Held-out predictions are K_ht·D·(D·K_tt·D + λI)⁻¹·D·(y−μ) + μ with D = diag(√w); one
    Cholesky factorisation per fold and penalty (cheaper than an eigendecomposition for the
    few penalties tried).
    """
    n = kernel.shape[0]
    out = [np.full((n, targets.shape[1]), np.nan) for _ in penalties]
    for train, held in folds:
        root = np.sqrt(weights[train])
        mean = _weighted_mean(targets[train], weights[train])
        scaled = root[:, None] * kernel[np.ix_(train, train)] * root[None, :]
        centred = root[:, None] * (targets[train] - mean)
        left = kernel[np.ix_(held, train)] * root[None, :]
        diagonal = np.arange(len(train))
        base = scaled[diagonal, diagonal].copy()
        for slot, penalty in enumerate(penalties):
            scaled[diagonal, diagonal] = base + penalty
            factor = scipy.linalg.cho_factor(scaled, overwrite_a=False, check_finite=False)
            solved = scipy.linalg.cho_solve(factor, centred, check_finite=False)
            out[slot][held] = left @ solved + mean
    return out


def fit(
    kernel: FloatArray, targets: FloatArray, weights: FloatArray, penalties: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Dual coefficients (n × targets) and target means; `penalties` has one λ per target."""
    root = np.sqrt(weights)
    mean = _weighted_mean(targets, weights)
    scaled = root[:, None] * kernel * root[None, :]
    centred = root[:, None] * (targets - mean)
    dual = np.zeros_like(targets)
    for penalty in np.unique(penalties):
        columns = np.flatnonzero(penalties == penalty)
        factor = scipy.linalg.cho_factor(scaled + penalty * np.eye(len(weights)))
        dual[:, columns] = root[:, None] * scipy.linalg.cho_solve(factor, centred[:, columns])
    return dual, mean


def primal(x: sp.csr_matrix, dual: FloatArray, mean: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Feature weights and intercepts, so serving is one sparse-dense product."""
    weights = np.asarray(x.T @ dual, dtype=np.float64)
    intercept: FloatArray = BIAS * dual.sum(axis=0) + mean
    return weights, intercept


def stratified_folds(groups: Sequence[str], k: int, seed: int) -> list[tuple[IntArray, IntArray]]:
    """k folds over positions, each group spread evenly across folds."""
    rng = np.random.default_rng(seed)
    assignment = np.zeros(len(groups), dtype=np.int64)
    by_group: dict[str, list[int]] = {}
    for position, group in enumerate(groups):
        by_group.setdefault(group, []).append(position)
    offset = 0
    for group in sorted(by_group):
        members = np.array(by_group[group], dtype=np.int64)
        rng.shuffle(members)
        # Rotate the starting fold so small groups do not all land in fold 0.
        assignment[members] = (np.arange(len(members)) + offset) % k
        offset += len(members)
    everyone = np.arange(len(groups), dtype=np.int64)
    return [(everyone[assignment != f], everyone[assignment == f]) for f in range(k)]
