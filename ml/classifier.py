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
from ml.language import detect_language
from ml.labels import LabelSpace
from ml.model import NEEDS_REVIEW, Scores, TrainedModel, decide
from ml.pipeline import display_term

FloatArray = npt.NDArray[np.float64]
EXPLANATION_TERMS = 8


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


class Classifier:
    """A loaded model; thread-safe for prediction (it holds no mutable state)."""

    def __init__(self, model: TrainedModel, card: dict[str, Any] | None = None) -> None:
        self.model = model
        self._card = dict(card or {})
        self._names = {a.id: a.name for a in model.label_space.areas}

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
        x = self.model.featurizer.transform(list(texts))
        return self._score_matrix(x)

    def _score_matrix(self, x: sp.csr_matrix) -> tuple[Scores, list[str], FloatArray]:
        scores = self.model.scores(x)
        decisions, confidence = decide(scores, self.model.thresholds)
        # Text with no known feature carries no evidence: never route it automatically.
        empty = np.diff(x.indptr) == 0
        for row in np.flatnonzero(empty).tolist():
            if decisions[row] != NEEDS_REVIEW:
                decisions[row] = NEEDS_REVIEW
                confidence[row] = scores.route[row]
        return scores, decisions, confidence

    def predict(self, text: str, *, language_hint: str | None = None) -> Triage:
        return self._predict(text, language_hint)

    def predict_many(self, texts: Sequence[str]) -> list[Triage]:
        return [self._predict(text, None) for text in texts]

    def _predict(self, text: str, language_hint: str | None) -> Triage:
        text = text if isinstance(text, str) else ""
        x = self.model.featurizer.transform([text])
        scores, decisions, confidence = self._score_matrix(x)
        area_p = scores.areas[0]
        order = np.argsort(-area_p, kind="stable").tolist()
        areas = tuple(AreaScore(self.model.area_ids[i], self._names[self.model.area_ids[i]],
                                float(area_p[i])) for i in order)
        para_p = scores.paragraphs[0]
        para_order = np.argsort(-para_p, kind="stable").tolist()
        paragraphs = tuple(ParagraphScore(self.model.paragraph_numbers[i], float(para_p[i]))
                           for i in para_order)
        top = order[0]
        contributions = self.model.featurizer.term_contributions(
            text, self.model.head.weights[:, top], x
        )
        best_terms = sorted(
            ((t, v) for t, v in contributions.items() if v > 0 and len(display_term(t)) > 1),
            key=lambda tv: -tv[1],
        )[:EXPLANATION_TERMS]
        best_paragraph = paragraphs[0].number if paragraphs else None
        explanation = Explanation(
            area=areas[0].id,
            terms=tuple(TermWeight(t, round(v, 4)) for t, v in best_terms),
            paragraph=best_paragraph,
            paragraph_summary=(self.model.label_space.summary(best_paragraph)
                               if best_paragraph is not None else ""),
        )
        detected = detect_language(text)
        return Triage(
            decision=decisions[0],
            confidence=float(np.clip(confidence[0], 0.0, 1.0)),
            language=detected if detected is not None else language_hint,
            areas=areas,
            paragraphs=paragraphs,
            explanation=explanation,
            model_version=self.model.version,
            scope_score=float(scores.scope[0]),
        )
