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
from ml.explain import term_contributions
from ml.labels import LabelSpace
from ml.language import detect_language
from ml.model import NEEDS_REVIEW, Scores, TrainedModel, decide
from ml.pipeline import CJK_CHAR, TOKEN, surface

FloatArray = npt.NDArray[np.float64]
EXPLANATION_TERMS = 8
REPETITION_MIN_WORDS = 200


@dataclass(frozen=True)
class AreaScore:
    id: str
    name: str
    score: float


@dataclass(frozen=True)
class ParagraphScore:
    number: int
    score: float


@dataclass(frozen=True)
class TermWeight:
    term: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    area: str
    terms: tuple[TermWeight, ...]
    paragraph: int | None
    paragraph_summary: str


@dataclass(frozen=True)
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


def _repetitive(text_surface: str) -> bool:
    """Many words, few of them distinct (under 1 in 20): spam or a test of the service."""
    words = TOKEN.findall(text_surface)
    return len(words) > REPETITION_MIN_WORDS and len(set(words)) * 20 < len(words)


class Classifier:
    """A loaded model; thread-safe for prediction (it holds no mutable state)."""

    def __init__(self, model: TrainedModel, card: dict[str, Any] | None = None) -> None:
        self.model = model
        self._card = dict(card or {})
        self._areas = tuple((a.id, a.name) for a in model.label_space.areas)

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
        surfaces = [surface(t) for t in texts]
        x = self.model.featurizer.transform_surfaces(surfaces)
        return self._score_matrix(x, surfaces, [detect_language(t) for t in texts])

    def _score_matrix(
        self, x: sp.csr_matrix, surfaces: Sequence[str], languages: Sequence[str | None]
    ) -> tuple[Scores, list[str], FloatArray]:
        scores = self.model.scores(x)
        decisions, confidence = decide(scores, self.model.thresholds, languages)
        # Text with no known feature carries no evidence, and text that repeats a few words
        # over and over is no request: neither is routed automatically.
        unusable = (np.diff(x.indptr) == 0) | np.array([_repetitive(s) for s in surfaces], bool)
        for row in np.flatnonzero(unusable).tolist():
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
        surfaces = [surface(t) for t in texts]
        x = self.model.featurizer.transform_surfaces(surfaces)
        scores, decisions, confidence = self._score_matrix(x, surfaces, languages)
        return [
            self._triage(
                surfaces[row],
                x.indices[x.indptr[row] : x.indptr[row + 1]],
                x.data[x.indptr[row] : x.indptr[row + 1]],
                scores,
                row,
                decisions[row],
                confidence[row],
                languages[row],
            )
            for row in range(len(texts))
        ]

    def _triage(
        self,
        text_surface: str,
        columns: npt.NDArray[np.int32],
        data: FloatArray,
        scores: Scores,
        row: int,
        decision: str,
        confidence: float,
        language: str | None,
    ) -> Triage:
        area_p = scores.areas[row]
        order = np.argsort(-area_p, kind="stable").tolist()
        areas = tuple(
            AreaScore(self._areas[i][0], self._areas[i][1], float(area_p[i])) for i in order
        )
        para_p = scores.paragraphs[row]
        para_order = np.argsort(-para_p, kind="stable").tolist()
        paragraphs = tuple(
            ParagraphScore(self.model.paragraph_numbers[i], float(para_p[i])) for i in para_order
        )
        top = order[0]
        contributions = term_contributions(
            self.model.featurizer, text_surface, columns, data, self.model.head.weights[:, top]
        )
        # A lone CJK character that no pair absorbed says little; it is left out.
        best_terms = sorted(
            ((t, v) for t, v in contributions.items() if not CJK_CHAR.fullmatch(t)),
            key=lambda tv: -tv[1],
        )[:EXPLANATION_TERMS]
        best_paragraph = paragraphs[0].number if paragraphs else None
        explanation = Explanation(
            area=areas[0].id,
            terms=tuple(TermWeight(t, round(v, 4)) for t, v in best_terms),
            paragraph=best_paragraph,
            paragraph_summary=(
                self.model.label_space.summary(best_paragraph) if best_paragraph is not None else ""
            ),
        )
        return Triage(
            decision=decision,
            confidence=float(np.clip(confidence, 0.0, 1.0)),
            language=language,
            areas=areas,
            paragraphs=paragraphs,
            explanation=explanation,
            model_version=self.model.version,
            scope_score=float(scores.scope[row]),
        )
