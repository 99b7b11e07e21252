"""The packaged catalogue of resolution 2019/21 and its loader."""

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.catalogue import loader
from app.catalogue.loader import CatalogueError, get_catalogue, load_catalogue

# The facts of the shared taxonomy, in its order: area -> (paragraphs, core first; working group).
EXPECTED_AREAS: dict[str, tuple[tuple[int, ...], str]] = {
    "ratification": ((1, 2, 12), "cj-cft"),
    "intl-cooperation": ((4, 5, 7), "cj-cft"),
    "interagency": ((3,), "nr-strategies"),
    "evidence": ((6, 7), "cj-cft"),
    "platforms": ((8,), "cj-cft"),
    "biometrics": ((9,), "bm-le"),
    "criminal-justice": ((10, 11), "hr-rol-victims"),
    "ftf": ((13, 5, 7), "cj-cft"),
    "financing": ((14, 15, 12), "cj-cft"),
    "crime-nexus": ((16,), "cj-cft"),
    "critical-infrastructure": ((17,), "et-cip"),
    "border-management": ((18,), "bm-le"),
    "travel-data": ((19,), "bm-le"),
    "cbrn": ((20,), "wmd-cbrn"),
    "cultural-property": ((21,), "cj-cft"),
    "ict": ((22,), "et-cip"),
    "victims": ((23,), "hr-rol-victims"),
    "children": ((24,), "hr-rol-victims"),
    "gender": ((25,), "gender"),
    "prisons": ((26,), "pcve"),
    "resource-mobilization": ((28,), "rm-me"),
}
EXPECTED_WORKING_GROUPS = (
    "bm-le",
    "cj-cft",
    "et-cip",
    "wmd-cbrn",
    "hr-rol-victims",
    "gender",
    "pcve",
    "nr-strategies",
    "rm-me",
)
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
OBSERVERS = {"PSE", "VAT"}


def test_catalogue_has_the_thirty_operative_paragraphs_in_order() -> None:
    catalogue = get_catalogue()
    assert [p.number for p in catalogue.paragraphs] == list(range(1, 31))
    assert catalogue.resolution.operative_paragraphs == 30
    assert catalogue.resolution.symbol == "E/RES/2019/21"
    assert catalogue.resolution.general_assembly == "A/RES/74/175"


def test_every_paragraph_has_a_title_summary_and_arabic_original() -> None:
    for paragraph in get_catalogue().paragraphs:
        assert 3 <= len(paragraph.title.split()) <= 7, paragraph.number
        assert paragraph.summary.count(". ") >= 1, paragraph.number
        assert paragraph.original.startswith(f"{paragraph.number}".translate(ARABIC_DIGITS) + " - ")


def test_originals_carry_no_footnotes() -> None:
    for paragraph in get_catalogue().paragraphs:
        assert "^(" not in paragraph.original
        assert "Treaty Series" not in paragraph.original
        assert "E/CN.15/2019/5" not in paragraph.original
        assert "\n" not in paragraph.original


def test_paragraphs_cut_by_a_page_break_are_joined_whole() -> None:
    catalogue = get_catalogue()
    assert "وبالتنسيق الوثيق مع الكيانات ذات الصلة المشاركة" in catalogue.paragraph(1).original
    assert "بهدف تحسين جمع المعلومات والأدلة المناسبة" in catalogue.paragraph(7).original
    assert "ولا سيما من خلال وضع برامج محدّدة الأهداف" in catalogue.paragraph(12).original
    assert "وتحيب بمكتب الأمم المتحدة" in catalogue.paragraph(16).original
    assert "الاستغلال الإجرامي لتكنولوجيا المعلومات" in catalogue.paragraph(22).original
    assert "التصدي للتطرف المفضي إلى العنف وتجنيد الإرهابيين" in catalogue.paragraph(26).original
    assert catalogue.paragraph(30).original.endswith("تقريراً عن تنفيذ هذا القرار.")


def test_areas_match_the_taxonomy_in_order() -> None:
    catalogue = get_catalogue()
    actual = {a.id: (a.paragraphs, a.working_group) for a in catalogue.areas}
    assert list(actual) == list(EXPECTED_AREAS)
    assert actual == EXPECTED_AREAS
    assert catalogue.area_ids == tuple(EXPECTED_AREAS)


def test_working_groups_are_the_nine_compact_groups() -> None:
    groups = get_catalogue().working_groups
    assert tuple(g.id for g in groups) == EXPECTED_WORKING_GROUPS
    assert all(g.as_of.isoformat() == "2019-07-23" for g in groups)


def test_every_area_has_ten_to_twenty_keywords_in_each_language() -> None:
    for area in get_catalogue().areas:
        assert set(area.keywords) == set(LANGUAGES), area.id
        for language in LANGUAGES:
            terms = area.keywords[language]
            assert 10 <= len(terms) <= 20, (area.id, language, len(terms))
            assert len({t.casefold() for t in terms}) == len(terms), (area.id, language)


def test_every_area_has_a_short_name_for_badges() -> None:
    for area in get_catalogue().areas:
        assert 2 <= len(area.short_name.split()) <= 4, area.id
        assert "\n" not in area.description


def test_paragraphs_without_area_are_cooperation_resources_and_report() -> None:
    catalogue = get_catalogue()
    assert catalogue.out_of_scope.paragraphs_without_area == (27, 29, 30)
    assert catalogue.out_of_scope.examples
    covered = {n for a in catalogue.areas for n in a.paragraphs}
    assert covered | {27, 29, 30} == set(range(1, 31))


def test_states_cover_every_member_and_the_two_observers_once() -> None:
    states = get_catalogue().states
    codes = [s.iso3 for s in states]
    assert len(codes) == 195
    assert len(set(codes)) == 195
    assert OBSERVERS.issubset(codes)


def test_regional_groups_have_their_known_sizes() -> None:
    members = [s for s in get_catalogue().states if s.iso3 not in OBSERVERS]
    assert Counter(s.un_regional_group for s in members) == {
        "African": 54,
        "Asia-Pacific": 53,
        "Eastern European": 23,
        "Latin American and Caribbean": 33,
        "Western European and other": 29,
        None: 1,
    }


@pytest.mark.parametrize(
    ("iso3", "region", "subregion", "group"),
    [
        ("NGA", "Africa", "Western Africa", "African"),
        ("ISR", "Asia", "Western Asia", "Western European and other"),
        ("TUR", "Asia", "Western Asia", "Western European and other"),
        ("USA", "Americas", "Northern America", "Western European and other"),
        ("KIR", "Oceania", "Micronesia", None),
        ("CYP", "Asia", "Western Asia", "Asia-Pacific"),
        ("MEX", "Americas", "Central America", "Latin American and Caribbean"),
        ("RUS", "Europe", "Eastern Europe", "Eastern European"),
        ("PSE", "Asia", "Western Asia", "Asia-Pacific"),
    ],
)
def test_state_regions(iso3: str, region: str, subregion: str, group: str | None) -> None:
    state = get_catalogue().state(iso3)
    assert state is not None
    assert (state.region, state.subregion, state.un_regional_group) == (region, subregion, group)


def test_lookups_find_what_the_catalogue_holds() -> None:
    catalogue = get_catalogue()
    assert catalogue.area("ftf").core_paragraph == 13
    assert catalogue.paragraph(19).title
    assert catalogue.working_group("cj-cft").note
    nigeria = catalogue.state("nga")
    assert nigeria is not None
    assert nigeria.name == "Nigeria"


def test_unknown_state_is_none() -> None:
    assert get_catalogue().state("XYZ") is None


@pytest.mark.parametrize(
    "lookup",
    [
        lambda c: c.area("terrorism"),
        lambda c: c.paragraph(31),
        lambda c: c.working_group("wg-unknown"),
    ],
)
def test_unknown_area_paragraph_or_working_group_raises_key_error(
    lookup: Callable[[loader.Catalogue], object],
) -> None:
    with pytest.raises(KeyError):
        lookup(get_catalogue())


def test_areas_for_paragraph_puts_the_core_area_first() -> None:
    catalogue = get_catalogue()
    assert [a.id for a in catalogue.areas_for_paragraph(13)] == ["ftf"]
    assert [a.id for a in catalogue.areas_for_paragraph(5)] == ["intl-cooperation", "ftf"]
    assert [a.id for a in catalogue.areas_for_paragraph(12)] == ["ratification", "financing"]
    assert catalogue.areas_for_paragraph(27) == ()


def test_get_catalogue_is_read_once() -> None:
    assert get_catalogue() is get_catalogue()


def _packaged() -> dict[str, Any]:
    text = Path(loader.__file__).with_name("catalogue.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _drop_paragraph(d: dict[str, Any]) -> None:
    d["paragraphs"].pop()


def _paragraph_out_of_range(d: dict[str, Any]) -> None:
    d["areas"][0]["paragraphs"].append(31)


def _unknown_working_group(d: dict[str, Any]) -> None:
    d["areas"][1]["working_group"] = "no-such-group"


def _duplicate_area(d: dict[str, Any]) -> None:
    d["areas"].append(d["areas"][0])


def _duplicate_state(d: dict[str, Any]) -> None:
    d["regions"].append(d["regions"][0])


def _missing_language(d: dict[str, Any]) -> None:
    del d["areas"][2]["keywords"]["zh"]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_drop_paragraph, "numbered 1..30"),
        (_paragraph_out_of_range, "outside 1..30"),
        (_unknown_working_group, "unknown working group 'no-such-group'"),
        (_duplicate_area, "duplicate area id 'ratification'"),
        (_duplicate_state, "duplicate state iso3"),
        (_missing_language, "keywords.zh"),
    ],
)
def test_broken_catalogue_raises_catalogue_error(
    tmp_path: Path, break_it: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = _packaged()
    break_it(data)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


def test_invalid_yaml_raises_catalogue_error(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("areas: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(path)


def test_catalogue_error_is_a_value_error() -> None:
    assert issubclass(CatalogueError, ValueError)
