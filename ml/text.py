"""Text normalisation and removal of diplomatic boilerplate before classification."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

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
# Most texts (all but Arabic, as a rule) hold no character to fold, which one search tells.
_FOLDED_AWAY = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")
_DELETED = np.uint32(0xFFFFFFFF)


def _fold_table() -> npt.NDArray[np.uint32]:
    """_TABLE as a lookup over code points, for numpy: str.translate raises and catches a
    KeyError for every character its table lacks, many times slower on an Arabic text."""
    table = np.arange(max(_TABLE) + 1, dtype=np.uint32)
    for code, to in _TABLE.items():
        table[code] = _DELETED if to is None else ord(to)
    return table


_FOLD = _fold_table()
_HINTS = frozenset(hint for formula in FORMULAS for hint in formula.hints)
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n)+")
_REACH = 400  # how far a formula's end may be from its anchor, and a sentence start before it
# Salutations open a text and valedictions close it: only these stretches are searched.
_HEAD = 400
_TAIL = 700


def fold(text: str) -> str:
    """`normalize` but with whitespace kept, so `strip_boilerplate` still sees the lines."""
    text = unicodedata.normalize("NFKC", text)
    if _FOLDED_AWAY.search(text) is not None:
        text = _translate(text)
    return text.casefold()


def _translate(text: str) -> str:
    """`text.translate(_TABLE)`, faster."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    top = len(_FOLD) - 1
    folded = np.where(codes <= top, _FOLD[np.minimum(codes, top)], codes)
    out: str = folded[folded != _DELETED].tobytes().decode("utf-32-le", "surrogatepass")
    return out


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


def _folded_anchors(text: str, formula: Formula) -> Iterator[re.Match[str]]:
    """`formula.anchor.finditer(text)` for case-folded text, found faster."""
    position = 0
    while (match := formula.folded_anchor.search(text, position)) is not None:
        start = match.start()
        if formula.folded_at_word and start > 0 and _is_word(text[start - 1]):
            position = start + 1  # the \b the pattern opened with does not hold here
            continue
        yield match
        position = match.end()


def _is_word(char: str) -> bool:
    """Whether `char` is a word character, as the regex \\b sees it."""
    return char.isalnum() or char == "_"


def _remove_formula(text: str, formula: Formula, *, folded: bool) -> str:
    pieces: list[str] = []
    cursor = 0
    anchors = _folded_anchors(text, formula) if folded else formula.anchor.finditer(text)
    for match in anchors:
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
    return _strip(text, text.translate(_TABLE).casefold(), folded=False)


def strip_folded(folded: str) -> str:
    """`strip_boilerplate` for text that `fold` made, faster, and with blank lines left as they
    are (for a caller that collapses whitespace)."""
    return _strip(folded, folded, folded=True)


def _strip(text: str, probe: str, *, folded: bool) -> str:
    """`probe` is the text case-folded, for the hints; `folded` says the text itself is."""
    present = {hint for hint in _HINTS if hint in probe}
    for formula in FORMULAS:
        if not present.isdisjoint(formula.hints):
            text = _remove_formula(text, formula, folded=folded)
    cut = text.find("\n", _HEAD)
    if cut < 0:
        cut = len(text)
    text = SALUTATION_LINES.sub("", text[:cut]) + text[cut:]
    text = _remove_signature(text)
    return text if folded else _BLANK_LINES.sub("\n\n", text).strip()
