"""Behaviour of the served classifier: clear requests, paraphrases, boilerplate, hostile text."""

import json
import random

import pytest

from ml.classifier import Classifier, Triage
from ml.corpus import Example
from ml.labels import LANGUAGES
from ml.text import normalize

from .probes import PARAPHRASES, PROBES

NOT_ROUTED = {"needs_review", "out_of_scope"}


@pytest.mark.parametrize("area", sorted(PROBES))
def test_a_clear_request_gets_its_area_first_in_every_language(
    area: str, classifier: Classifier
) -> None:
    assert set(PROBES[area]) == set(LANGUAGES)
    wrong = {
        lang: classifier.predict(text).areas[0].id
        for lang, text in PROBES[area].items()
        if classifier.predict(text).areas[0].id != area
    }
    assert wrong == {}


@pytest.mark.parametrize(("area", "paraphrase", "language"), PARAPHRASES)
def test_a_paraphrase_keeps_its_area(
    area: str, paraphrase: str, language: str, classifier: Classifier
) -> None:
    assert classifier.predict(PROBES[area][language]).areas[0].id == area
    assert classifier.predict(paraphrase).areas[0].id == area


BOILERPLATE = {
    "en": "The Permanent Mission of Freedonia presents its compliments to the United Nations "
    "Office on Drugs and Crime.\n\nThe Permanent Mission of Freedonia avails itself of this "
    "opportunity to renew to the Office the assurances of its highest consideration.",
    "fr": "La Mission permanente de la Freedonie présente ses compliments à l'Office des Nations "
    "Unies contre la drogue et le crime.\n\nLa Mission permanente saisit cette occasion pour "
    "renouveler à l'Office les assurances de sa très haute considération.",
    "es": "La Misión Permanente de Freedonia saluda atentamente a la Oficina de las Naciones "
    "Unidas contra la Droga y el Delito.\n\nLa Misión Permanente aprovecha la oportunidad para "
    "reiterar a la Oficina las seguridades de su más alta consideración.",
    "ru": "Постоянное представительство Фредонии свидетельствует свое уважение Управлению ООН "
    "по наркотикам и преступности.\n\nПостоянное представительство пользуется случаем, чтобы "
    "возобновить Управлению уверения в своем высоком уважении.",
    "ar": "تهدي البعثة الدائمة لفريدونيا أطيب تحياتها إلى مكتب الأمم المتحدة المعني بالمخدرات "
    "والجريمة.\n\nوتغتنم البعثة الدائمة هذه الفرصة لتعرب للمكتب عن أسمى آيات تقديرها.",
    "zh": "弗里多尼亚常驻代表团向联合国毒品和犯罪问题办公室致意。\n\n"
    "弗里多尼亚常驻代表团顺此机会向联合国毒品和犯罪问题办公室重申最崇高的敬意。",
}


@pytest.mark.parametrize("language", sorted(BOILERPLATE))
def test_boilerplate_alone_is_never_routed(language: str, classifier: Classifier) -> None:
    assert classifier.predict(BOILERPLATE[language]).decision in NOT_ROUTED


def _junk(length: int, alphabet: str, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


HOSTILE = {
    "empty": "",
    "whitespace": " \n\t\r\u3000 ",
    "punctuation": "?!.,;:—()[]{}«»…¿¡" * 10,
    "emoji": "😀🔥💣🚀🙏" * 30,
    "long-junk": _junk(20_000, "abcdefghijklmnopqrstuvwxyz     ", 1),
    "long-word": "x" * 20_000,
    "mixed-script": _junk(3_000, "aбвгдежзиклмн中文字符ابتثجحخدذر ", 2),
    "markup": "<script>alert(1)</script><img src=x onerror=alert(1)>" * 20,
    "control": "\x00\x01\x02\x1b[31m\u202e\u200b\ufeff" * 50,
    "sql": "'; DROP TABLE assistance_requests; -- " * 30,
    "digits": "0123456789 " * 500,
    "repeated-keyword": "terrorist financing " * 1000,
    "repeated-chinese": "恐怖主义融资" * 1000,
    "repeated-arabic": "حماية البنية التحتية " * 1000,
    "lone-surrogate-like": "\ud7ff\ue000\uffff" * 100,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_empty_text_is_not_routed_and_does_not_crash(
    name: str, classifier: Classifier
) -> None:
    triage = classifier.predict(HOSTILE[name])
    assert triage.decision in NOT_ROUTED
    assert 0.0 <= triage.confidence <= 1.0
    json.dumps(triage.to_dict(), ensure_ascii=False)


def test_text_without_letters_keeps_the_language_hint(classifier: Classifier) -> None:
    assert classifier.predict("12345 !!!", language_hint="fr").language == "fr"


def test_detected_language_wins_over_the_hint(classifier: Classifier) -> None:
    triage = classifier.predict(PROBES["cbrn"]["es"], language_hint="en")
    assert triage.language == "es"


def _check_shape(triage: Triage, classifier: Classifier) -> None:
    area_ids = [a.id for a in triage.areas]
    assert sorted(area_ids) == sorted(classifier.label_space.area_ids)
    assert [a.score for a in triage.areas] == sorted((a.score for a in triage.areas), reverse=True)
    assert len(triage.paragraphs) >= 3
    scores = [p.score for p in triage.paragraphs]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in [*scores, triage.confidence, triage.scope_score])
    assert triage.model_version == classifier.version


def test_triage_lists_every_area_and_ranked_paragraphs(classifier: Classifier) -> None:
    _check_shape(classifier.predict(PROBES["victims"]["en"]), classifier)


def test_ranked_paragraphs_start_with_the_areas_core_paragraph(classifier: Classifier) -> None:
    triage = classifier.predict(PROBES["travel-data"]["fr"])
    assert triage.paragraphs[0].number == classifier.label_space.area("travel-data").paragraphs[0]


def test_explanation_shows_words_of_the_text_that_pushed_the_top_area(
    classifier: Classifier,
) -> None:
    text = PROBES["cultural-property"]["en"]
    triage = classifier.predict(text)
    explanation = triage.explanation
    assert explanation.area == triage.areas[0].id
    assert 1 <= len(explanation.terms) <= 8
    assert all(t.weight > 0 for t in explanation.terms)
    assert all(word in normalize(text) for t in explanation.terms for word in t.term.split())
    assert explanation.paragraph == triage.paragraphs[0].number
    assert explanation.paragraph_summary == classifier.label_space.summary(
        triage.paragraphs[0].number
    )


def test_chinese_explanation_terms_come_from_the_text(classifier: Classifier) -> None:
    text = PROBES["cbrn"]["zh"]
    terms = classifier.predict(text).explanation.terms
    assert terms
    assert all(t.term in normalize(text) for t in terms)


def test_predict_many_matches_predict(classifier: Classifier) -> None:
    texts = [PROBES["ict"]["ru"], PROBES["gender"]["ar"], ""]
    assert classifier.predict_many(texts) == [classifier.predict(t) for t in texts]


def test_a_triage_does_not_depend_on_the_batch_it_came_in(
    classifier: Classifier, validation_split: list[Example]
) -> None:
    texts = [e.text for e in validation_split[::20]]
    assert classifier.predict_many(texts) == [classifier.predict(t) for t in texts]


def test_to_dict_is_json_serialisable(classifier: Classifier) -> None:
    data = classifier.predict(PROBES["ftf"]["zh"]).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["areas"][0]["id"] == "ftf"
