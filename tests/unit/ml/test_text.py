"""Normalisation and boilerplate removal in the six official languages."""

import pytest

from ml.pipeline import prepare
from ml.text import normalize, strip_boilerplate


def test_normalize_folds_case_width_and_whitespace() -> None:
    assert normalize("  Ｔｅｒｒｏｒｉｓｍ\t\nFINANCING  ") == "terrorism financing"


def test_normalize_removes_arabic_diacritics_and_tatweel() -> None:
    assert normalize("الإرْهَـــابِ") == "الارهاب"


def test_normalize_unifies_alef_ya_and_ta_marbuta() -> None:
    assert normalize("أإآٱ") == "اااا"
    assert normalize("مستشفى المساعدة") == "مستشفي المساعده"


def test_normalize_maps_arabic_indic_digits() -> None:
    assert normalize("القرار ٢١٧٨") == "القرار 2178"


def test_normalize_drops_invisible_and_bidi_characters() -> None:
    assert normalize("ter\u200brorism \u202efinancing\u202c") == "terrorism financing"


def test_normalize_folds_russian_yo() -> None:
    assert normalize("Её") == "ее"


def test_normalize_keeps_chinese_and_folds_fullwidth_punctuation() -> None:
    assert normalize("反恐　培训（２０２５）") == "反恐 培训(2025)"


NOTES = {
    "en": (
        "The Permanent Mission of Freedonia to the United Nations (Vienna) presents its "
        "compliments to the United Nations Office on Drugs and Crime and has the honour to "
        "request training for prosecutors on terrorist financing.\n\n"
        "The Permanent Mission of Freedonia avails itself of this opportunity to renew to the "
        "United Nations Office on Drugs and Crime the assurances of its highest consideration.",
        "request training for prosecutors on terrorist financing.",
        ("compliments", "honour", "avails", "consideration"),
    ),
    "fr": (
        "La Mission permanente de la Freedonie auprès de l'Office des Nations Unies à Vienne "
        "présente ses compliments à l'Office des Nations Unies contre la drogue et le crime et a "
        "l'honneur de solliciter une formation des procureurs sur le financement du terrorisme.\n\n"
        "La Mission permanente de la Freedonie saisit cette occasion pour renouveler à l'Office "
        "les assurances de sa très haute considération.",
        "solliciter une formation des procureurs sur le financement du terrorisme.",
        ("compliments", "honneur", "saisit", "considération"),
    ),
    "es": (
        "La Misión Permanente de Freedonia ante las Naciones Unidas en Viena saluda atentamente "
        "a la Oficina de las Naciones Unidas contra la Droga y el Delito y tiene el honor de "
        "solicitar capacitación para fiscales sobre financiación del terrorismo.\n\n"
        "La Misión Permanente de Freedonia aprovecha la oportunidad para reiterar a la Oficina "
        "las seguridades de su más alta y distinguida consideración.",
        "solicitar capacitación para fiscales sobre financiación del terrorismo.",
        ("saluda", "honor", "aprovecha", "consideración"),
    ),
    "ru": (
        "Постоянное представительство Фредонии при Отделении ООН в Вене свидетельствует свое "
        "уважение Управлению Организации Объединенных Наций по наркотикам и преступности и имеет "
        "честь просить об обучении прокуроров по вопросам финансирования терроризма.\n\n"
        "Постоянное представительство Фредонии пользуется случаем, чтобы возобновить Управлению "
        "уверения в своем весьма высоком уважении.",
        "просить об обучении прокуроров по вопросам финансирования терроризма.",
        ("свидетельствует", "честь", "пользуется", "уважении"),
    ),
    "ar": (
        "تهدي البعثة الدائمة لفريدونيا لدى الأمم المتحدة في فيينا أطيب تحياتها إلى مكتب الأمم "
        "المتحدة المعني بالمخدرات والجريمة، وتتشرف بأن تطلب تدريب أعضاء النيابة العامة على "
        "مكافحة تمويل الإرهاب.\n\n"
        "وتغتنم البعثة الدائمة لفريدونيا هذه الفرصة لتعرب لمكتب الأمم المتحدة المعني بالمخدرات "
        "والجريمة عن أسمى آيات تقديرها.",
        "تطلب تدريب أعضاء النيابة العامة على مكافحة تمويل الإرهاب.",
        ("تهدي", "تحياتها", "وتتشرف", "وتغتنم", "تقديرها"),
    ),
    "zh": (
        "弗里多尼亚常驻维也纳联合国代表团向联合国毒品和犯罪问题办公室致意，"
        "并谨请求为检察官举办打击资助恐怖主义培训。\n\n"
        "弗里多尼亚常驻维也纳联合国代表团顺此机会向联合国毒品和犯罪问题办公室重申最崇高的敬意。",
        "请求为检察官举办打击资助恐怖主义培训。",
        ("致意", "机会", "敬意"),
    ),
}


@pytest.mark.parametrize("language", sorted(NOTES))
def test_note_verbale_formulas_are_removed(language: str) -> None:
    text, request, formulas = NOTES[language]
    stripped = strip_boilerplate(text)
    assert stripped == request
    assert not any(f in stripped for f in formulas)


@pytest.mark.parametrize("language", sorted(NOTES))
def test_note_verbale_formulas_are_removed_after_normalisation(language: str) -> None:
    text, request, _ = NOTES[language]
    assert strip_boilerplate(normalize(text)) == normalize(request)


LETTERS = {
    "en": "Dear Director,\n\n{body}\n\nYours sincerely,\n\nJ. Smith\nHead of Unit",
    "fr": "Madame la Directrice,\n\n{body}\n\nCordialement,\n\nM. Dupont\nChef de service",
    "es": "Estimada señora Directora:\n\n{body}\n\nAtentamente,\n\nLcda. Pérez\nDirectora",
    "ru": "Уважаемый господин Директор!\n\n{body}\n\nС уважением,\n\nИ. Иванов\nначальник",
    "ar": "معالي المدير التنفيذي،\n\nتحية طيبة وبعد،\n\n{body}\n\nمع خالص التحية،\n\nالمستشار",
    "zh": "尊敬的处长：\n\n{body}\n\n此致\n敬礼\n\n司法部国际合作局",
}
BODY = "Body of the request about prisons."


@pytest.mark.parametrize("language", sorted(LETTERS))
def test_salutations_and_signature_blocks_are_removed(language: str) -> None:
    assert strip_boilerplate(LETTERS[language].format(body=BODY)) == BODY


def test_long_signature_tail_is_kept_when_it_is_not_a_signature() -> None:
    tail = "\n".join(f"Point {i}: more detail about the workshop." for i in range(10))
    text = f"Request for a workshop.\nThank you.\n{tail}"
    assert tail in strip_boilerplate(text)


def test_content_that_merely_mentions_compliments_is_kept() -> None:
    text = "Our prosecutors received compliments for the case; we need training on evidence."
    assert strip_boilerplate(text) == text


def test_boilerplate_removal_is_fast_on_hostile_input() -> None:
    # Catastrophic backtracking would hang here; the pytest timeout catches it.
    text = ("presents its compliments to " * 2000) + ("a" * 20000)
    assert isinstance(prepare(text), str)


def test_prepare_bounds_the_length() -> None:
    assert len(prepare("word " * 50_000)) <= 6_000
