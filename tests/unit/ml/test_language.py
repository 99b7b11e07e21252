"""Language detection among the six official languages."""

import subprocess
import sys
import threading

import pytest

from ml import language
from ml.language import detect_language

SAMPLES = {
    "ar": "نطلب المساعدة التقنية في مجال مكافحة تمويل الإرهاب.",
    "zh": "我们请求在打击资助恐怖主义方面提供技术援助。",
    "en": "We request technical assistance on countering the financing of terrorism.",
    "fr": "Nous sollicitons une assistance technique contre le financement du terrorisme.",
    "ru": "Просим оказать техническую помощь в борьбе с финансированием терроризма.",
    "es": "Solicitamos asistencia técnica para combatir la financiación del terrorismo.",
}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_official_language_is_detected(code: str) -> None:
    assert detect_language(SAMPLES[code]) == code


@pytest.mark.parametrize("text", ["", "   ", "12345 67", "!!! ??? ...", "😀🔥💣"])
def test_text_without_letters_has_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_leading_junk_does_not_hide_the_language() -> None:
    assert detect_language("#" * 5000 + SAMPLES["ru"]) == "ru"


def test_other_languages_map_to_one_of_the_six() -> None:
    assert detect_language("Wir bitten um technische Hilfe gegen Terrorismusfinanzierung.") in {
        *SAMPLES
    }


def test_importing_the_module_builds_no_detector() -> None:
    code = "import ml.language as m; print(m._detector is None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_detector_is_built_lazily_once_even_from_many_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language, "_detector", None)
    results: list[str | None] = []
    lock = threading.Lock()

    def work(text: str) -> None:
        found = detect_language(text)
        with lock:
            results.append(found)

    threads = [
        threading.Thread(target=work, args=(SAMPLES[lang],)) for lang in SAMPLES for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r or "" for r in results) == sorted(lang for lang in SAMPLES for _ in range(4))
    assert language._detector is not None
