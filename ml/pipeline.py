"""Features: the one place text becomes a vector, for training and serving alike."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ml.text import normalize, strip_boilerplate

# Hostile inputs can be huge; a request says what it wants well within these bounds.
MAX_RAW_CHARS = 30_000
MAX_CHARS = 6_000
CHAR_SIZES = (3, 4, 5)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A CJK ideograph is a token on its own (Chinese has no spaces); elsewhere a token is a run
# of two or more letters or digits.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]{{2,}}")
_NON_WORD = re.compile(r"[\W_]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
# Digits in character n-grams are dates and file numbers, not topics; word tokens keep them.
_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")
_MULT = np.uint64(0x9E3779B97F4A7C15)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def prepare(text: str) -> str:
    """Boilerplate-free, normalised text, bounded in length."""
    return normalize(strip_boilerplate(text[:MAX_RAW_CHARS]))[:MAX_CHARS]


def _surface(prepared: str) -> str:
    return " " + _NON_WORD.sub(" ", prepared).strip() + " "


def _words(surface: str) -> list[str]:
    tokens = _TOKEN.findall(surface)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _char_hashes(surface: str) -> tuple[npt.NDArray[np.uint64], IntArray]:
    """Hashes of every character n-gram and the position of its middle character.

    Hashing in numpy keeps serving fast; the vocabulary stores only the hashes seen in
    training, and explanations map n-grams back to words through the positions.
    """
    codes = np.frombuffer(
        surface.translate(_DIGITS_TO_ZERO).encode("utf-32-le"), dtype=np.uint32
    ).astype(np.uint64)
    hashes: list[npt.NDArray[np.uint64]] = []
    centres: list[IntArray] = []
    for n in CHAR_SIZES:
        count = len(codes) - n + 1
        if count <= 0:
            continue
        h = np.full(count, n, dtype=np.uint64)
        for k in range(n):
            h = h * _MULT + codes[k : k + count]
        hashes.append(h)
        centres.append(np.arange(count, dtype=np.int64) + n // 2)
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(centres)


def display_term(term: str) -> str:
    """A feature or token as a reader would write it (CJK bigrams without the space)."""
    parts = term.split(" ")
    if len(parts) == 2 and _CJK_CHAR.fullmatch(parts[0]) and _CJK_CHAR.fullmatch(parts[1]):
        return parts[0] + parts[1]
    return term


class Featurizer:
    """TF-IDF over word uni/bigrams and hashed character 3–5-grams, each block L2-normalised."""

    def __init__(self, *, min_df: int = 2, char_weight: float = 1.0) -> None:
        self.min_df = min_df
        self.char_weight = char_weight
        self.word_names: list[str] = []
        self.word_index: dict[str, int] = {}
        self.char_keys = np.zeros(0, dtype=np.uint64)
        self.idf = np.zeros(0, dtype=np.float64)

    @property
    def n_word(self) -> int:
        return len(self.word_names)

    @property
    def n_features(self) -> int:
        return self.n_word + len(self.char_keys)

    def fit(self, texts: Sequence[str]) -> Featurizer:
        surfaces = [_surface(prepare(t)) for t in texts]
        word_df: Counter[str] = Counter()
        char_seen: list[npt.NDArray[np.uint64]] = []
        for surface in surfaces:
            word_df.update(set(_words(surface)))
            char_seen.append(np.unique(_char_hashes(surface)[0]))
        self.word_names = sorted(w for w, df in word_df.items() if df >= self.min_df)
        self.word_index = {w: i for i, w in enumerate(self.word_names)}
        keys, char_df = np.unique(np.concatenate(char_seen), return_counts=True)
        self.char_keys = keys[char_df >= self.min_df]
        df = np.concatenate(
            [np.array([word_df[w] for w in self.word_names], dtype=np.float64),
             char_df[char_df >= self.min_df].astype(np.float64)]
        )
        n = len(surfaces)
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return self

    def _lookup_chars(self, hashes: npt.NDArray[np.uint64]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Column of each hash in the character block, and whether it is in the vocabulary."""
        keys = self.char_keys
        if len(keys) == 0:
            return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=np.bool_)
        slot = np.searchsorted(keys, hashes).astype(np.int64)
        slot[slot == len(keys)] = 0
        return slot, keys[slot] == hashes

    def _counts(self, surface: str) -> tuple[IntArray, FloatArray]:
        """Sorted columns present in the text and how often each occurs."""
        index = self.word_index
        words = np.array([i for i in map(index.get, _words(surface)) if i is not None],
                         dtype=np.int64)
        word_cols, word_counts = np.unique(words, return_counts=True)
        # Sorting the hashes first makes the vocabulary search cache-friendly and yields counts.
        hashes, char_counts = np.unique(_char_hashes(surface)[0], return_counts=True)
        slot, found = self._lookup_chars(hashes)
        return (
            np.concatenate([word_cols, slot[found] + self.n_word]),
            np.concatenate([word_counts, char_counts[found]]).astype(np.float64),
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        pairs = [self._counts(_surface(prepare(t))) for t in texts]
        indptr = np.zeros(len(pairs) + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in pairs], out=indptr[1:])
        empty = np.zeros(0, dtype=np.int64)
        indices = np.concatenate([c for c, _ in pairs]) if pairs else empty
        counts = np.concatenate([n for _, n in pairs]) if pairs else empty.astype(np.float64)
        return self._weigh(counts, indices, indptr)

    def _weigh(self, counts: FloatArray, indices: IntArray, indptr: IntArray) -> sp.csr_matrix:
        n_rows = len(indptr) - 1
        data = (1.0 + np.log(counts)) * self.idf[indices]
        rows = np.repeat(np.arange(n_rows), np.diff(indptr))
        block = (indices >= self.n_word).astype(np.int64)
        key = rows * 2 + block
        norms = np.sqrt(np.bincount(key, weights=data**2, minlength=2 * n_rows))
        data = data / norms[key] * np.where(block == 1, self.char_weight, 1.0)
        return sp.csr_matrix((data, indices, indptr), shape=(n_rows, self.n_features))

    def term_contributions(
        self, text: str, weights: FloatArray, x: sp.csr_matrix | None = None
    ) -> dict[str, float]:
        """Contribution (tf-idf value × weight) of each word or word pair of the text.

        Character n-grams are credited to the word holding their middle character, so every
        term shown is one a reader finds in the text. `x` is the text's row if already built.
        """
        surface = _surface(prepare(text))
        row = x if x is not None else self.transform([text])
        columns = row.indices.astype(np.int64)
        values = row.data * weights[columns]
        terms: Counter[str] = Counter()
        word_part = columns < self.n_word
        for column, value in zip(columns[word_part].tolist(), values[word_part].tolist(),
                                 strict=True):
            terms[display_term(self.word_names[column])] += value
        spans = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(surface)]
        if not spans:
            return dict(terms)
        hashes, centres = _char_hashes(surface)
        slot, found = self._lookup_chars(hashes)
        char_cols = slot[found] + self.n_word
        centres = centres[found]
        # Spread each n-gram's contribution evenly over its occurrences.
        unique_cols, inverse, occurrences = np.unique(
            char_cols, return_inverse=True, return_counts=True
        )
        position = np.searchsorted(columns, unique_cols)
        position[position == len(columns)] = 0
        present = columns[position] == unique_cols
        per_column = np.where(present, values[position], 0.0) / occurrences
        owner = np.full(len(surface), -1, dtype=np.int64)
        for number, (start, end, _) in enumerate(spans):
            owner[start:end] = number
        tokens = owner[centres]
        keep = tokens >= 0
        shares = np.bincount(tokens[keep], weights=per_column[inverse][keep],
                             minlength=len(spans))
        for (_, end, token_text), share in zip(spans, shares.tolist(), strict=True):
            if _CJK_CHAR.fullmatch(token_text) and _CJK_CHAR.fullmatch(surface[end]):
                # A lone ideograph means little to a reader: credit the pair it starts.
                token_text += surface[end]
            terms[token_text] += share
        return dict(terms)

    def __getstate__(self) -> dict[str, Any]:
        # Arrays only: the artefact stays small and loads without trusting custom types.
        return {
            "min_df": self.min_df,
            "char_weight": self.char_weight,
            "word_names": np.array(self.word_names, dtype=np.str_),
            "char_keys": self.char_keys,
            "idf": self.idf,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.min_df = int(state["min_df"])
        self.char_weight = float(state["char_weight"])
        self.word_names = [str(w) for w in state["word_names"].tolist()]
        self.word_index = {w: i for i, w in enumerate(self.word_names)}
        self.char_keys = np.asarray(state["char_keys"], dtype=np.uint64)
        self.idf = np.asarray(state["idf"], dtype=np.float64)
