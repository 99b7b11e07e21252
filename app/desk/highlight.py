"""Finding the model's explanation terms in a request's original text.

The terms are normalised (case-folded, Arabic letter forms folded, diacritics dropped), so each
becomes a pattern that accepts every spelling normalisation maps onto it. The text is cut into
plain and marked segments; the template escapes every segment, so nothing in the text is ever
interpreted as markup.
"""

import re
from dataclasses import dataclass

# Letters that ml.text.normalize folds together: each normalised letter matches its sources.
_FOLDS = {
    "ا": "اأإآٱ",
    "ي": "يىی",
    "ه": "هة",
    "ك": "كک",
    "е": "её",
}
_DIGITS = {str(i): f"{i}{chr(0x0660 + i)}{chr(0x06F0 + i)}" for i in range(10)}
# Harakat, superscript alef, tatweel, and invisible characters that normalisation deletes.
_IGNORABLE = (
    "[\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u00ad\u200b-\u200f\u202a-\u202e\u2066-\u2069]*"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_TERMS = 12
MAX_TERM_CHARS = 80


@dataclass(frozen=True)
class Segment:
    text: str
    term: str | None = None  # the explanation term this stretch matched, None for plain text


def _char_pattern(ch: str) -> str:
    if ch in _FOLDS:
        return f"[{_FOLDS[ch]}]"
    if ch in _DIGITS:
        return f"[{_DIGITS[ch]}]"
    return re.escape(ch)


def term_pattern(term: str) -> str | None:
    """A regular expression for the term's spellings, or None if it cannot be shown."""
    term = term.strip()
    if not term or len(term) > MAX_TERM_CHARS:
        return None
    words = term.split()
    parts = [_IGNORABLE.join(_char_pattern(ch) for ch in word) for word in words]
    # Words of a pair were adjacent tokens: anything that is not a letter or digit between.
    body = r"[\W_]+".join(parts)
    if _CJK.search(term):
        return body
    return rf"(?<![^\W_]){body}(?![^\W_])"


def segments(text: str, terms: list[str]) -> list[Segment]:
    """The text cut into segments, the stretches matching a term marked with it.

    Longer terms win over shorter ones they overlap (a pair over its single words).
    """
    if not text:
        return []
    compiled = []
    for term in sorted(dict.fromkeys(terms[:MAX_TERMS]), key=len, reverse=True):
        pattern = term_pattern(term)
        if pattern is not None:
            compiled.append((term, re.compile(pattern, re.IGNORECASE)))
    taken: list[tuple[int, int, str]] = []
    for term, regex in compiled:
        for match in regex.finditer(text):
            start, end = match.span()
            if start == end or any(start < e and s < end for s, e, _ in taken):
                continue
            taken.append((start, end, term))
    taken.sort()
    out: list[Segment] = []
    cursor = 0
    for start, end, term in taken:
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], term))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return out
