"""Serving: load a verified artefact and triage request texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ml import artefact
from ml.explain import strongest_terms
from ml.labels import LabelSpace
from ml.language import detect_language
from ml.model import NEEDS_REVIEW, Scores, TrainedModel, decide
from ml.pipeline import Reading, read_all

FloatArray = npt.NDArray[np.float64]
EXPLANATION_TERMS = 8
REPETITION_MIN_WORDS = 200


@dataclass(frozen=True, slots=True)
class AreaScore:
    id: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class ParagraphScore:
    number: int
    score: float


@dataclass(frozen=True, slots=True)
class TermWeight:
    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class Explanation:
    area: str
    terms: tuple[TermWeight, ...]
    paragraph: int | None
    paragraph_summary: str


@dataclass(frozen=True, slots=True)
class Triage:
    decision: str
    confidence: float
    language: str | None
    areas: tuple[AreaScore, ...]
    paragraphs: tuple[ParagraphScore, ...]
    explanation: Explanation
    model_version: str
    scope_score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _repetitive(reading: Reading) -> bool:
    """Many words, few of them distinct (under 1 in 20): spam or a test of the service."""
    words = len(reading.starts)
    if words <= REPETITION_MIN_WORDS:
        return False
    # The first hash of each token is the token's own: distinct hashes, distinct words.
    return len(np.unique(reading.word_hashes[:words])) * 20 < words


class Classifier:
    """A loaded model; thread-safe for prediction (it holds no mutable state)."""

    def __init__(self, model: TrainedModel, card: dict[str, Any] | None = None) -> None:
        self.model = model
        self._card = dict(card or {})
        self._area_ids = tuple(a.id for a in model.label_space.areas)
        self._area_names = tuple(a.name for a in model.label_space.areas)

    @classmethod
    def load(cls, directory: Path | str, expected_sha256: str | None = None) -> Classifier:
        """Raises ml.artefact.ArtefactError when the files fail verification."""
        model, card = artefact.load(directory, expected_sha256=expected_sha256)
        return cls(model, card)

    @classmethod
    def from_model(cls, model: TrainedModel) -> Classifier:
        return cls(model)

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def card(self) -> dict[str, Any]:
        return dict(self._card)

    @property
    def label_space(self) -> LabelSpace:
        return self.model.label_space

    def score_texts(self, texts: Sequence[str]) -> tuple[Scores, list[str], FloatArray]:
        """Scores, decisions and confidences for many texts at once (no explanations)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        readings = read_all(texts)
        x = self.model.featurizer.transform_readings(readings)
        return self._score_matrix(x, readings, [detect_language(t) for t in texts])

    def _score_matrix(
        self, x: sp.csr_matrix, readings: Sequence[Reading], languages: Sequence[str | None]
    ) -> tuple[Scores, list[str], FloatArray]:
        scores = self.model.scores(x)
        decisions, confidence = decide(scores, self.model.thresholds, languages)
        # Text with no known feature carries no evidence, and text that repeats a few words
        # over and over is no request: neither is routed automatically.
        empty = x.indptr[1:] == x.indptr[:-1]
        unusable = empty | np.array([_repetitive(r) for r in readings], dtype=np.bool_)
        for row in unusable.nonzero()[0].tolist():
            if decisions[row] != NEEDS_REVIEW:
                decisions[row] = NEEDS_REVIEW
                confidence[row] = scores.route[row]
        return scores, decisions, confidence

    def predict(self, text: str, *, language_hint: str | None = None) -> Triage:
        return self.predict_many([text], language_hints=[language_hint])[0]

    def predict_many(
        self, texts: Sequence[str], *, language_hints: Sequence[str | None] | None = None
    ) -> list[Triage]:
        """One Triage per text; the features of the batch are built in one pass."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        hints = list(language_hints) if language_hints is not None else [None] * len(texts)
        detected = [detect_language(t) for t in texts]
        languages = [d if d is not None else h for d, h in zip(detected, hints, strict=True)]
        readings = read_all(texts)
        x, trace = self.model.featurizer.transform_traced(readings)
        scores, decisions, confidence = self._score_matrix(x, readings, languages)
        area_order = (-scores.areas).argsort(axis=1, kind="stable")
        paragraph_order = (-scores.paragraphs).argsort(axis=1, kind="stable")
        # What each entry of a row pushes the row's top area by, shared among its occurrences:
        # explanations credit each occurrence's share to the words holding it.
        top = area_order[:, 0].repeat(x.indptr[1:] - x.indptr[:-1])
        shares = np.maximum(x.data * self.model.head.weights[x.indices, top], 0.0) / trace.counts
        bounds = x.indptr.tolist()
        area_p, by_area = scores.areas.tolist(), area_order.tolist()
        paragraph_p, by_paragraph = scores.paragraphs.tolist(), paragraph_order.tolist()
        sure, scope = confidence.clip(0.0, 1.0).tolist(), scores.scope.tolist()
        ids, names, numbers = self._area_ids, self._area_names, self.model.paragraph_numbers
        triages = []
        for row, reading in enumerate(readings):
            a, p = area_p[row], paragraph_p[row]
            areas = tuple(AreaScore(ids[i], names[i], a[i]) for i in by_area[row])
            paragraphs = tuple(ParagraphScore(numbers[i], p[i]) for i in by_paragraph[row])
            # An extra zero for the entry −1: a feature outside the vocabulary brings nothing.
            row_shares = np.concatenate([shares[bounds[row] : bounds[row + 1]], [0.0]])
            terms = strongest_terms(
                reading,
                row_shares[trace.words[row]],
                row_shares[trace.chars[row]],
                EXPLANATION_TERMS,
            )
            triages.append(
                Triage(
                    decision=decisions[row],
                    confidence=sure[row],
                    language=languages[row],
                    areas=areas,
                    paragraphs=paragraphs,
                    explanation=self._explanation(areas[0].id, terms, paragraphs),
                    model_version=self.model.version,
                    scope_score=scope[row],
                )
            )
        return triages

    def _explanation(
        self,
        area: str,
        terms: list[tuple[str, float]],
        paragraphs: tuple[ParagraphScore, ...],
    ) -> Explanation:
        best_paragraph = paragraphs[0].number if paragraphs else None
        return Explanation(
            area=area,
            terms=tuple(TermWeight(t, round(v, 4)) for t, v in terms),
            paragraph=best_paragraph,
            paragraph_summary=(
                self.model.label_space.summary(best_paragraph) if best_paragraph is not None else ""
            ),
        )
