"""Text normalisation and removal of diplomatic boilerplate before classification."""

from __future__ import annotations

import re
import unicodedata

from ml.boilerplate import CLOSING_LINES, FORMULAS, SALUTATION_LINES, SENTENCE_ENDS, Formula

# Arabic harakat, Quranic marks and the superscript alef carry no topic; tatweel is
# typographic. Zero-width and bidi controls are invisible and can split words on purpose.
_DELETE = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + [chr(0x0670), chr(0x0640)]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + [chr(c) for c in (0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_MAP = {
    # Hamza-carrying alef forms are written inconsistently: fold them to bare alef.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    # Final ya is often typed as alef maqsura and final ta marbuta as ha; folding both
    # directions to one form is the usual choice of Arabic retrieval systems.
    "ى": "ي",
    "ة": "ه",
    # Persian code points typed on Persian keyboards for Arabic letters.
    "ی": "ي",
    "ک": "ك",
    # Russian writers drop the diaeresis freely.
    "ё": "е",
}
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}
_TABLE = str.maketrans({**{c: None for c in _DELETE}, **_MAP, **_DIGITS})
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n)+")
_REACH = 400  # how far a formula's end may be from its anchor, and a sentence start before it
# Salutations open a text and valedictions close it: only these stretches are searched.
_HEAD = 400
_TAIL = 700


def fold(text: str) -> str:
    """`normalize` but with whitespace kept, so `strip_boilerplate` still sees the lines."""
    return unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()


def normalize(text: str) -> str:
    """NFKC; Arabic and Cyrillic forms folded; invisible marks dropped; case and spaces folded."""
    return " ".join(fold(text).split())


def _sentence_start(text: str, anchor: int) -> int:
    floor = max(0, anchor - _REACH)
    boundary = max(text.rfind(end, floor, anchor) for end in SENTENCE_ENDS)
    if boundary >= 0:
        return boundary + 1
    # No sentence boundary close enough: remove only from the anchor, never a long stretch.
    return floor if floor == 0 else anchor


def _sentence_end(text: str, start: int) -> int:
    limit = min(len(text), start + _REACH)
    found = [p for p in (text.find(end, start, limit) for end in SENTENCE_ENDS) if p >= 0]
    return min(found) + 1 if found else limit


def _remove_formula(text: str, formula: Formula) -> str:
    pieces: list[str] = []
    cursor = 0
    for match in formula.anchor.finditer(text):
        if match.start() < cursor:
            continue
        start = max(cursor, _sentence_start(text, match.start()))
        window = text[match.end() : match.end() + _REACH]
        end_match = formula.end.search(window) if formula.end is not None else None
        if end_match is not None:
            end = match.end() + end_match.end()
        elif formula.whole_sentence:
            end = _sentence_end(text, match.end())
        else:
            end = match.end()
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _remove_signature(text: str) -> str:
    """Drop valediction lines and the short signature block after the last of them."""
    cut = text.rfind("\n", 0, max(0, len(text) - _TAIL)) + 1
    head, tail = text[:cut], text[cut:]
    matches = list(CLOSING_LINES.finditer(tail))
    last = matches[-1] if matches else None
    if last is None:
        return text
    after = tail[last.end() :]
    if sum(1 for line in after.splitlines() if line.strip()) <= 6 and len(after) <= 400:
        after = ""
    return head + CLOSING_LINES.sub("", tail[: last.start()]) + after


def strip_boilerplate(text: str) -> str:
    """Remove note-verbale formulas, salutations and signature blocks in the six languages.

    Works on raw or normalised text; the caller keeps the original for display.
    """
    return strip_folded(text, text.translate(_TABLE).casefold())


def strip_folded(text: str, probe: str) -> str:
    """`strip_boilerplate` given `probe`, the text folded, which may be the text itself."""
    for formula in FORMULAS:
        if any(hint in probe for hint in formula.hints):
            text = _remove_formula(text, formula)
    cut = text.find("\n", _HEAD)
    if cut < 0:
        cut = len(text)
    text = SALUTATION_LINES.sub("", text[:cut]) + text[cut:]
    text = _remove_signature(text)
    return _BLANK_LINES.sub("\n\n", text).strip()
