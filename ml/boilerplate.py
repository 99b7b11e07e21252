"""Diplomatic formulas of the six official languages, as patterns for ml.text to remove."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters that close a sentence or a line in the six languages.
SENTENCE_ENDS = frozenset(".!?\n。！？؟;；")

_HARAKAT = "[\u064b-\u065f\u0670\u0640]*"
_ARABIC_CLASSES = {
    "ا": "[اأإآٱ]",
    "أ": "[اأإآٱ]",
    "إ": "[اأإآٱ]",
    "آ": "[اأإآٱ]",
    "ي": "[يىی]",
    "ى": "[يىی]",
    "ة": "[ةه]",
    "ه": "[ةه]",
}


def _ar(pattern: str) -> str:
    """Make each Arabic letter of a pattern tolerate diacritics, tatweel and spelling variants.

    A quantifier must never follow an Arabic letter directly (write `(?:و)?`), since the
    letter becomes a group of characters.
    """
    out: list[str] = []
    for ch in pattern:
        if "\u0621" <= ch <= "\u064a":
            out.append(_ARABIC_CLASSES.get(ch, ch) + _HARAKAT)
        else:
            out.append(ch)
    return "".join(out)


def _compile(pattern: str, *, multiline: bool = False) -> re.Pattern[str]:
    flags = re.IGNORECASE | (re.MULTILINE if multiline else 0)
    return re.compile(_ar(pattern), flags)


@dataclass(frozen=True)
class Formula:
    """An anchor phrase; removal runs from the start of its sentence to the end pattern.

    Without an end match, `whole_sentence` removes to the end of the sentence, otherwise only
    up to the anchor's end (so a request that follows in the same sentence is kept).
    """

    hints: tuple[str, ...]
    anchor: re.Pattern[str]
    end: re.Pattern[str] | None
    whole_sentence: bool
    # The anchor for case-folded text, which serving strips: case-sensitive and without the
    # opening \b, checked by the caller when `folded_at_word`. An anchor that opens with a
    # literal word is then found by a fast substring search instead of a scan of every
    # character, several times faster.
    folded_anchor: re.Pattern[str]
    folded_at_word: bool


def _f(hints: str, anchor: str, end: str | None = None, *, whole_sentence: bool = False) -> Formula:
    """`hints`: words, one of which the case-folded text must hold for the anchor to be tried."""
    return Formula(
        hints=tuple(hints.split()),
        anchor=_compile(anchor),
        end=_compile(end) if end else None,
        whole_sentence=whole_sentence,
        folded_anchor=re.compile(_ar(anchor.removeprefix(r"\b"))),
        folded_at_word=anchor.startswith(r"\b"),
    )


FORMULAS: tuple[Formula, ...] = (
    # English: "… presents its compliments to … and has the honour to …"
    _f(
        "compliments respects",
        r"\bpresents?\s+(?:its|their|his|her)\s+(?:compliments|respects)\s+to\b",
        r"\b(?:has|have)\s+the\s+honou?r\s+(?:to|of)\s+",
    ),
    _f(
        "avail",
        r"\bavails?\s+(?:itself|themselves|himself|herself)\s+of\s+(?:this|the)\s+opportunity\b",
        r"\bconsideration\b\.?",
        whole_sentence=True,
    ),
    _f(
        "assurance",
        r"\b(?:please\s+)?accept,?[^\n.]{0,80}?\bassurances?\s+of\b",
        r"\bconsideration\b\.?",
        whole_sentence=True,
    ),
    _f("honour honor", r"\bi\s+have\s+the\s+honou?r\s+(?:to|of)\s+"),
    # French: "… présente ses compliments à … et a l'honneur de …"
    _f(
        "compliments",
        r"\bprésente(?:nt)?\s+(?:ses|leurs)\s+compliments\s+(?:à|au|aux)\b",
        r"\b(?:et\s+)?(?:a|ont)\s+l['’]honneur\s+(?:de\s+|d['’])",
    ),
    _f(
        "saisi",
        r"\bsaisi(?:t|ssent)\s+(?:cette|l['’]|la\s+présente)\s*(?:occasion|opportunité)\b",
        r"\bconsidération\b\.?",
        whole_sentence=True,
    ),
    _f(
        "agréer",
        r"\b(?:veuillez|je\s+vous\s+prie\s+d['’])\s*agréer\b",
        r"\b(?:considération|salutations|sentiments)\b[^.\n]{0,60}\.?",
        whole_sentence=True,
    ),
    _f("honneur", r"\bj['’]ai\s+l['’]honneur\s+(?:de\s+|d['’])"),
    # Spanish: "… saluda atentamente a … y tiene el honor de …"
    _f(
        "atentamente saludos",
        r"\b(?:saludan?\s+(?:muy\s+)?atentamente|presentan?\s+sus\s+(?:atentos\s+)?saludos)\s+a\b",
        r"\by\s+tienen?\s+(?:el\s+)?(?:honor|agrado)\s+de\s+",
    ),
    _f(
        "aprovecha",
        r"\baprovechan?\s+(?:la|esta|la\s+presente)\s+(?:oportunidad|ocasión)\s+para\s+"
        r"(?:reiterar|renovar|expresar)\b",
        r"\bconsideración\b\.?",
        whole_sentence=True,
    ),
    _f(
        "propicia aprovecho",
        r"\b(?:hago\s+propicia|hace\s+propicia|aprovecho)\s+(?:la|esta)\s+(?:ocasión|oportunidad)\b",
        r"\bconsideración\b\.?",
        whole_sentence=True,
    ),
    _f("tengo", r"\btengo\s+el\s+(?:honor|agrado)\s+de\s+"),
    # Russian: "… свидетельствует свое уважение … и имеет честь …"
    _f(
        "свидетельству",
        r"свидетельству(?:ет|ют)\s+сво[её]\s+(?:глубокое\s+)?уважение\b",
        r"\bи\s+име(?:ет|ют)\s+(?:честь|удовольствие)\s+",
    ),
    _f(
        "пользу",
        r"\bпользу(?:ется|ются)\s+(?:этим\s+|настоящим\s+|данным\s+)?(?:случаем|возможностью)",
        r"(?:уважени[иея]|почтени[иея])\b\.?",
        whole_sentence=True,
    ),
    _f("примите", r"\bпримите[^.\n]{0,120}?уверени", r"уважени[иея]\b\.?", whole_sentence=True),
    _f("имею", r"\bимею\s+честь\s+"),
    # Arabic: "تهدي البعثة … أطيب تحياتها إلى … وتتشرف بأن …"
    _f("تحياتها", r"(?:تهدي|تقدم)\s[^\n]{0,250}?تحياتها", r"(?:و)?تتشرف\s+(?:بان\s+|ب)"),
    _f(
        "تغتنم",
        r"(?:و)?تغتنم\s[^\n]{0,250}?(?:المناسبة|الفرصة)",
        r"(?:تقدير|احترام)\S*(?:\s+و(?:ال)?(?:تقدير|احترام)\S*)?\s*\.?",
        whole_sentence=True,
    ),
    _f("بقبول", r"(?:و)?(?:تفضلوا|تقبلوا)\s+[^\n]{0,40}?بقبول", whole_sentence=True),
    _f("يشرفني", r"يشرفني\s+(?:ان\s+|ب)"),
    # Chinese: "……向联合国毒品和犯罪问题办公室致意，并谨……"
    _f("致意", r"致意[，,、]?\s*(?:并谨|并|谨)?"),
    _f("机会", r"(?:顺此|借此|趁此|谨借此)机会", r"敬意[。.]?", whole_sentence=True),
)

_BARE_GREETINGS = (
    r"hello|hi|greetings|good\s+(?:morning|afternoon|day)|(?:your\s+)?excellency|sir|madam"
    r"|bonjour|excellence|madame|monsieur|madame,\s*monsieur"
    r"|hola|buenos\s+días|buenas\s+tardes|excelencia|señor|señora"
    r"|здравствуйте|добрый\s+день|ваше\s+превосходительство"
    r"|您好|你好|各位好"
    r"|تحية\s+طيبة(?:\s+وبعد)?|تحية\s+طيبة\s+و\s*بعد|السلام\s+عليكم(?:\s+ورحمة\s+الله(?:\s+وبركاته)?)?"
)
_ADDRESS_LINES = (
    r"dear|to\s+whom\s+it\s+may\s+concern|madame|monsieur|estimad[oa]s?|distinguid[oa]s?"
    r"|señor(?:a|es)?|excelentísim[oa]|уважаем\w*|многоуважаем\w*|尊敬的|亲爱的"
    r"|معالي|سعادة|حضرة|السيد|السيدة|الاستاذ|الزملاء|الزميل|الزميلة|الاخوة|الأعزاء|بعد\s+التحية"
)
SALUTATION_LINES = _compile(
    rf"^[^\S\n]*(?:(?:{_BARE_GREETINGS})[,:،：!！.，]?|(?:{_ADDRESS_LINES})[^\n]{{0,100}}?[,:،：!！，])"
    r"[^\S\n]*$\n?",
    multiline=True,
)
CLOSING_LINES = _compile(
    r"^[^\S\n]*(?:"
    r"yours\s+(?:sincerely|faithfully|truly)|sincerely(?:\s+yours)?|respectfully(?:\s+yours)?"
    r"|(?:with\s+)?(?:best|kind|warm|warmest)\s+regards|regards|best\s+wishes|many\s+thanks"
    r"|thank\s+you(?:\s+in\s+advance)?"
    r"|cordialement|bien\s+(?:cordialement|à\s+vous)|(?:sincères|meilleures)\s+salutations"
    r"|salutations\s+distinguées|respectueusement|avec\s+mes\s+remerciements"
    r"|atentamente|cordialmente|(?:un\s+)?cordial(?:es)?\s+saludos?|saludos(?:\s+cordiales)?"
    r"|reciba\s+un\s+cordial\s+saludo|muchas\s+gracias|quedo\s+(?:atent[oa]|a\s+la\s+espera)[^\n]{0,60}"
    r"|en\s+espera\s+de\s+su\s+respuesta[^\n]{0,40}|(?:looking\s+forward|i\s+look\s+forward)[^\n]{0,60}"
    r"|dans\s+l['’]attente\s+de\s+votre\s+réponse[^\n]{0,60}"
    r"|с\s+уважением|с\s+наилучшими\s+пожеланиями|искренне\s+ваш[аи]?|заранее\s+(?:благодар\w*|спасибо)|спасибо"
    r"|此致|敬礼|此致敬礼|顺致崇高敬意|顺颂(?:时祺|商祺)|谨致问候|祝好|特此函达"
    r"|مع\s+(?:خالص|فائق|اطيب)\s[^\n]{0,60}|(?:و)?شكرا(?:\s+لكم)?|مع\s+(?:الشكر|التحية|التقدير)(?:\s+والتقدير)?|(?:و)?السلام\s+عليكم[^\n]{0,40}"
    r")[,.:،。!！，]?[^\S\n]*$\n?",
    multiline=True,
)
