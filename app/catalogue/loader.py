"""Loads and validates the packaged catalogue of resolution 2019/21 (catalogue.yaml)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import yaml

LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
PARAGRAPH_COUNT = 30
REGIONS: frozenset[str] = frozenset({"Africa", "Americas", "Asia", "Europe", "Oceania"})
REGIONAL_GROUPS: frozenset[str] = frozenset(
    {
        "African",
        "Asia-Pacific",
        "Eastern European",
        "Latin American and Caribbean",
        "Western European and other",
    }
)
_RESOURCE = "catalogue.yaml"


class CatalogueError(ValueError):
    """The catalogue file is missing, unreadable or contradicts itself."""


@dataclass(frozen=True)
class Resolution:
    symbol: str
    adopted: date
    title: str
    general_assembly: str
    operative_paragraphs: int
    source_language: str


@dataclass(frozen=True)
class Paragraph:
    number: int
    title: str
    summary: str
    original: str


@dataclass(frozen=True)
class WorkingGroup:
    id: str
    name: str
    as_of: date
    note: str | None = None


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    short_name: str
    description: str
    paragraphs: tuple[int, ...]
    working_group: str
    keywords: Mapping[str, tuple[str, ...]] = field(hash=False)

    @property
    def core_paragraph(self) -> int:
        return self.paragraphs[0]


@dataclass(frozen=True)
class MemberState:
    iso3: str
    name: str
    region: str
    subregion: str
    un_regional_group: str | None


@dataclass(frozen=True)
class OutOfScope:
    description: str
    examples: tuple[str, ...]
    paragraphs_without_area: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Catalogue:
    resolution: Resolution
    paragraphs: tuple[Paragraph, ...]
    working_groups: tuple[WorkingGroup, ...]
    areas: tuple[Area, ...]
    states: tuple[MemberState, ...]
    out_of_scope: OutOfScope
    _paragraphs: Mapping[int, Paragraph] = field(init=False, repr=False)
    _working_groups: Mapping[str, WorkingGroup] = field(init=False, repr=False)
    _areas: Mapping[str, Area] = field(init=False, repr=False)
    _states: Mapping[str, MemberState] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_paragraphs", {p.number: p for p in self.paragraphs})
        object.__setattr__(self, "_working_groups", {g.id: g for g in self.working_groups})
        object.__setattr__(self, "_areas", {a.id: a for a in self.areas})
        object.__setattr__(self, "_states", {s.iso3: s for s in self.states})

    @property
    def area_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.areas)

    def area(self, area_id: str) -> Area:
        """Raises KeyError for an unknown id."""
        try:
            return self._areas[area_id]
        except KeyError:
            raise KeyError(f"unknown area {area_id!r}") from None

    def paragraph(self, number: int) -> Paragraph:
        """Raises KeyError for a number outside 1..30."""
        try:
            return self._paragraphs[number]
        except KeyError:
            raise KeyError(f"no operative paragraph {number!r}") from None

    def working_group(self, group_id: str) -> WorkingGroup:
        """Raises KeyError for an unknown id."""
        try:
            return self._working_groups[group_id]
        except KeyError:
            raise KeyError(f"unknown working group {group_id!r}") from None

    def state(self, iso3: str) -> MemberState | None:
        return self._states.get(iso3.upper())

    def areas_for_paragraph(self, number: int) -> tuple[Area, ...]:
        """Areas resting on the paragraph: those whose core it is first, then the others."""
        core = [a for a in self.areas if a.core_paragraph == number]
        other = [a for a in self.areas if number in a.paragraphs[1:]]
        return (*core, *other)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate the catalogue: the packaged file, or `path` when given.

    Raises CatalogueError when the file cannot be read or parsed, or breaks an invariant.
    """
    source = Path(__file__).with_name(_RESOURCE) if path is None else path
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read the catalogue: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source} is not valid YAML: {exc}") from exc
    return _parse(_mapping(raw, str(source)))


@functools.cache
def get_catalogue() -> Catalogue:
    """The packaged catalogue, read and validated on first use, then shared."""
    return load_catalogue()


def _parse(raw: Mapping[str, object]) -> Catalogue:
    resolution = _resolution(_mapping(raw.get("resolution"), "resolution"))
    paragraphs = tuple(
        _paragraph(_mapping(item, f"paragraphs[{i}]"))
        for i, item in enumerate(_list(raw.get("paragraphs"), "paragraphs"))
    )
    working_groups = tuple(
        _working_group(_mapping(item, f"working_groups[{i}]"))
        for i, item in enumerate(_list(raw.get("working_groups"), "working_groups"))
    )
    areas = tuple(
        _area(_mapping(item, f"areas[{i}]"))
        for i, item in enumerate(_list(raw.get("areas"), "areas"))
    )
    states = tuple(
        _state(_mapping(item, f"regions[{i}]"))
        for i, item in enumerate(_list(raw.get("regions"), "regions"))
    )
    out_of_scope = _out_of_scope(_mapping(raw.get("out_of_scope"), "out_of_scope"))

    if resolution.operative_paragraphs != PARAGRAPH_COUNT:
        raise CatalogueError(
            f"resolution.operative_paragraphs is {resolution.operative_paragraphs}, "
            f"expected {PARAGRAPH_COUNT}"
        )
    numbers = [p.number for p in paragraphs]
    if sorted(numbers) != list(range(1, PARAGRAPH_COUNT + 1)):
        raise CatalogueError(
            f"paragraphs must be numbered 1..{PARAGRAPH_COUNT} exactly once each, got {numbers}"
        )
    _unique((g.id for g in working_groups), "working group id")
    _unique((a.id for a in areas), "area id")
    _unique((s.iso3 for s in states), "state iso3")

    group_ids = {g.id for g in working_groups}
    for area in areas:
        if area.working_group not in group_ids:
            raise CatalogueError(f"area {area.id!r}: unknown working group {area.working_group!r}")
        _check_paragraph_numbers(area.paragraphs, f"area {area.id!r}")
        _unique(area.paragraphs, f"paragraph of area {area.id!r}")
    _check_paragraph_numbers(out_of_scope.paragraphs_without_area, "out_of_scope")
    used = {n for a in areas for n in a.paragraphs}
    claimed = sorted(used.intersection(out_of_scope.paragraphs_without_area))
    if claimed:
        raise CatalogueError(
            f"out_of_scope.paragraphs_without_area lists paragraphs {claimed}, which areas rest on"
        )
    return Catalogue(resolution, paragraphs, working_groups, areas, states, out_of_scope)


def _resolution(raw: Mapping[str, object]) -> Resolution:
    return Resolution(
        symbol=_str(raw, "symbol", "resolution"),
        adopted=_date(raw, "adopted", "resolution"),
        title=_str(raw, "title", "resolution"),
        general_assembly=_str(raw, "general_assembly", "resolution"),
        operative_paragraphs=_int(
            raw.get("operative_paragraphs"), "resolution.operative_paragraphs"
        ),
        source_language=_str(raw, "source_language", "resolution"),
    )


def _paragraph(raw: Mapping[str, object]) -> Paragraph:
    number = _int(raw.get("number"), "paragraph number")
    where = f"paragraph {number}"
    return Paragraph(
        number=number,
        title=_str(raw, "title", where),
        summary=_str(raw, "summary", where),
        original=_str(raw, "original", where),
    )


def _working_group(raw: Mapping[str, object]) -> WorkingGroup:
    group_id = _str(raw, "id", "working group")
    where = f"working group {group_id!r}"
    return WorkingGroup(
        id=group_id,
        name=_str(raw, "name", where),
        as_of=_date(raw, "as_of", where),
        note=_optional_str(raw, "note", where),
    )


def _area(raw: Mapping[str, object]) -> Area:
    area_id = _str(raw, "id", "area")
    where = f"area {area_id!r}"
    paragraphs = tuple(
        _int(n, f"{where}: paragraph") for n in _list(raw.get("paragraphs"), f"{where}: paragraphs")
    )
    if not paragraphs:
        raise CatalogueError(f"{where}: paragraphs is empty")
    keywords_raw = _mapping(raw.get("keywords"), f"{where}: keywords")
    keywords: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        terms = tuple(
            _nonempty(term, f"{where}: keywords.{lang}")
            for term in _list(keywords_raw.get(lang), f"{where}: keywords.{lang}")
        )
        if not terms:
            raise CatalogueError(f"{where}: keywords.{lang} is empty")
        keywords[lang] = terms
    extra = sorted(set(keywords_raw) - set(LANGUAGES))
    if extra:
        raise CatalogueError(f"{where}: keywords in unknown languages {extra}")
    return Area(
        id=area_id,
        name=_str(raw, "name", where),
        short_name=_str(raw, "short_name", where),
        description=_str(raw, "description", where),
        paragraphs=paragraphs,
        working_group=_str(raw, "working_group", where),
        keywords=MappingProxyType(keywords),
    )


def _state(raw: Mapping[str, object]) -> MemberState:
    iso3 = _str(raw, "iso3", "state")
    where = f"state {iso3!r}"
    if len(iso3) != 3 or not (iso3.isascii() and iso3.isalpha() and iso3.isupper()):
        raise CatalogueError(f"{where}: iso3 must be three upper-case letters")
    region = _str(raw, "region", where)
    if region not in REGIONS:
        raise CatalogueError(f"{where}: unknown region {region!r}")
    group = _optional_str(raw, "un_regional_group", where)
    if group is not None and group not in REGIONAL_GROUPS:
        raise CatalogueError(f"{where}: unknown UN regional group {group!r}")
    return MemberState(
        iso3=iso3,
        name=_str(raw, "name", where),
        region=region,
        subregion=_str(raw, "subregion", where),
        un_regional_group=group,
    )


def _out_of_scope(raw: Mapping[str, object]) -> OutOfScope:
    where = "out_of_scope"
    return OutOfScope(
        description=_str(raw, "description", where),
        examples=tuple(
            _nonempty(e, f"{where}.examples")
            for e in _list(raw.get("examples"), f"{where}.examples")
        ),
        paragraphs_without_area=tuple(
            _int(n, f"{where}.paragraphs_without_area")
            for n in _list(raw.get("paragraphs_without_area"), f"{where}.paragraphs_without_area")
        ),
    )


def _check_paragraph_numbers(numbers: Iterable[int], where: str) -> None:
    outside = [n for n in numbers if not 1 <= n <= PARAGRAPH_COUNT]
    if outside:
        raise CatalogueError(f"{where}: paragraphs {outside} are outside 1..{PARAGRAPH_COUNT}")


def _unique(values: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise CatalogueError(f"duplicate {what} {value!r}")
        seen.add(value)


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise CatalogueError(f"{where}: expected a mapping, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise CatalogueError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _nonempty(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _str(raw: Mapping[str, object], key: str, where: str) -> str:
    return _nonempty(raw.get(key), f"{where}: {key}")


def _optional_str(raw: Mapping[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    return None if value is None else _nonempty(value, f"{where}: {key}")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogueError(f"{where}: expected an integer, got {value!r}")
    return value


def _date(raw: Mapping[str, object], key: str, where: str) -> date:
    value = raw.get(key)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CatalogueError(f"{where}: {key} must be a date (YYYY-MM-DD), got {value!r}")
