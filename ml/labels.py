"""The label space the app passes in: thematic areas, their paragraphs, keywords and summaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

OUT_OF_SCOPE = "out-of-scope"
LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")


@dataclass(frozen=True)
class AreaLabel:
    id: str
    name: str
    paragraphs: tuple[int, ...]
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id or self.id == OUT_OF_SCOPE:
            raise ValueError(f"invalid area id {self.id!r}")
        if not self.paragraphs or any(p <= 0 for p in self.paragraphs):
            raise ValueError(f"area {self.id!r} needs positive paragraph numbers")
        # Read-only views so a shared label space cannot be mutated by one caller.
        frozen = {lang: tuple(words) for lang, words in self.keywords.items()}
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))
        object.__setattr__(self, "keywords", MappingProxyType(frozen))

    @property
    def core_paragraph(self) -> int:
        return self.paragraphs[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "paragraphs": list(self.paragraphs),
            "keywords": {lang: list(words) for lang, words in self.keywords.items()},
        }


@dataclass(frozen=True)
class LabelSpace:
    areas: tuple[AreaLabel, ...]
    paragraph_summaries: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [a.id for a in self.areas]
        if not ids:
            raise ValueError("a label space needs at least one area")
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate area ids in label space")
        summaries = {int(k): str(v) for k, v in self.paragraph_summaries.items()}
        object.__setattr__(self, "areas", tuple(self.areas))
        object.__setattr__(self, "paragraph_summaries", MappingProxyType(summaries))

    @property
    def area_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.areas)

    @property
    def paragraphs(self) -> tuple[int, ...]:
        """Every paragraph an area rests on or that has a summary, ascending."""
        numbers = {p for a in self.areas for p in a.paragraphs} | set(self.paragraph_summaries)
        return tuple(sorted(numbers))

    def area(self, area_id: str) -> AreaLabel:
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    def index(self, area_id: str) -> int:
        return self.area_ids.index(area_id)

    def areas_of_paragraph(self, number: int) -> tuple[str, ...]:
        return tuple(a.id for a in self.areas if number in a.paragraphs)

    def summary(self, number: int) -> str:
        return self.paragraph_summaries.get(number, "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "areas": [a.to_dict() for a in self.areas],
            "paragraph_summaries": {str(k): v for k, v in sorted(self.paragraph_summaries.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelSpace:
        """Build from the shape `to_dict` writes (the card and artefact keep it that way)."""
        areas = tuple(
            AreaLabel(
                id=str(a["id"]),
                name=str(a["name"]),
                paragraphs=tuple(int(p) for p in a["paragraphs"]),
                keywords={
                    str(lang): tuple(str(w) for w in words)
                    for lang, words in (a.get("keywords") or {}).items()
                },
            )
            for a in data["areas"]
        )
        summaries = {int(k): str(v) for k, v in (data.get("paragraph_summaries") or {}).items()}
        return cls(areas=areas, paragraph_summaries=summaries)
