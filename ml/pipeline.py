"""Features: the one place text becomes a vector, for training and serving alike."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ml.text import fold, strip_folded

# Hostile inputs can be huge; a request says what it wants well within these bounds.
MAX_RAW_CHARS = 30_000
MAX_CHARS = 6_000
CHAR_SIZES = (3, 4)  # 5-grams added a third of the cost and no accuracy in cross-validation
# Each block's squared norm gets this share of the median training document's added before
# normalising, so a short text's few features weigh less than a long text's many: a one-line
# request carries less evidence and should score less extremely.
NORM_SHRINK = 0.2

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A CJK ideograph is a token on its own (Chinese has no spaces); elsewhere a token is a run
# of two or more letters or digits.
TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]{{2,}}")
_NON_WORD = re.compile(r"[\W_]+")
CJK_CHAR = re.compile(rf"[{_CJK}]")
# Light stemming: inflected words (Arabic clitics and plurals, Russian and Romance endings)
# share a "~stem" feature beside their surface form; cross-validation gained 0.7 points top-1.
STEM_PREFIX = "~"
STEM_CHARS = 5
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل")
_AR_SUFFIXES = ("ات", "ون", "ين", "ان", "ها", "هم", "يه", "يا", "ه", "ي")
_ARABIC_FIRST, _ARABIC_LAST = "\u0621", "\u064a"
# Digits in character n-grams are dates and file numbers, not topics; word tokens keep them.
_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")
_MULT = np.uint64(0x9E3779B97F4A7C15)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def prepare(text: str) -> str:
    """Boilerplate-free, normalised text, bounded in length.

    Equal to normalize(strip_boilerplate(text)) but folds the text only once: the formulas
    match folded text as well as raw text.
    """
    folded = fold(text[:MAX_RAW_CHARS])
    return " ".join(strip_folded(folded, folded).split())[:MAX_CHARS]


def surface(text: str) -> str:
    """The prepared text with punctuation turned into spaces, padded: what features read."""
    return " " + _NON_WORD.sub(" ", prepare(text)).strip() + " "


def _arabic_stem(token: str) -> str:
    for prefix in _AR_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            token = token[len(prefix) :]
            break
    for suffix in _AR_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)]
            break
    return STEM_PREFIX + token


def stem(token: str) -> str | None:
    """The stem feature of a token, or None when the token is short, numeric or CJK."""
    if _ARABIC_FIRST <= token[0] <= _ARABIC_LAST:
        return _arabic_stem(token)
    if len(token) > STEM_CHARS + 1 and token[0] < _ARABIC_FIRST and token.isalpha():
        return STEM_PREFIX + token[:STEM_CHARS]
    return None


def _words(text_surface: str) -> list[str]:
    tokens = TOKEN.findall(text_surface)
    # Inlined for speed: this runs for every token of every request.
    stems = [
        STEM_PREFIX + t[:STEM_CHARS]
        for t in tokens
        if len(t) > STEM_CHARS + 1 and t[0] < _ARABIC_FIRST and t.isalpha()
    ]
    stems += [_arabic_stem(t) for t in tokens if _ARABIC_FIRST <= t[0] <= _ARABIC_LAST]
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)] + stems


def char_hashes(text_surface: str) -> tuple[npt.NDArray[np.uint64], IntArray]:
    """Hashes of every character n-gram and the position of its middle character.

    Hashing in numpy keeps serving fast; the vocabulary stores only the hashes seen in
    training, and explanations map n-grams back to words through the positions.
    """
    codes = np.frombuffer(
        text_surface.translate(_DIGITS_TO_ZERO).encode("utf-32-le"), dtype=np.uint32
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


class Featurizer:
    """TF-IDF over word uni/bigrams and hashed character 3–4-grams, each block L2-normalised."""

    def __init__(self, *, min_df: int = 2, char_weight: float = 1.0) -> None:
        self.min_df = min_df
        self.char_weight = char_weight
        self.word_names: list[str] = []
        self.word_index: dict[str, int] = {}
        self.char_keys = np.zeros(0, dtype=np.uint64)
        self.idf = np.zeros(0, dtype=np.float64)
        self.norm_floor = np.zeros(2, dtype=np.float64)

    @property
    def n_word(self) -> int:
        return len(self.word_names)

    @property
    def n_features(self) -> int:
        return self.n_word + len(self.char_keys)

    def fit(self, texts: Sequence[str]) -> Featurizer:
        self._fit_surfaces([surface(t) for t in texts])
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        surfaces = [surface(t) for t in texts]
        self._fit_surfaces(surfaces)
        return self.transform_surfaces(surfaces)

    def _fit_surfaces(self, surfaces: Sequence[str]) -> None:
        word_df: Counter[str] = Counter()
        char_seen: list[npt.NDArray[np.uint64]] = []
        for text_surface in surfaces:
            word_df.update(set(_words(text_surface)))
            char_seen.append(np.unique(char_hashes(text_surface)[0]))
        self.word_names = sorted(w for w, df in word_df.items() if df >= self.min_df)
        self.word_index = {w: i for i, w in enumerate(self.word_names)}
        keys, char_df = np.unique(np.concatenate(char_seen), return_counts=True)
        self.char_keys = keys[char_df >= self.min_df]
        df = np.concatenate(
            [
                np.array([word_df[w] for w in self.word_names], dtype=np.float64),
                char_df[char_df >= self.min_df].astype(np.float64),
            ]
        )
        n = len(surfaces)
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self.norm_floor = np.zeros(2, dtype=np.float64)
        squared = self._squared_norms(*self._counts_of(surfaces))
        self.norm_floor = NORM_SHRINK * np.median(squared.reshape(-1, 2), axis=0)

    def lookup_chars(
        self, hashes: npt.NDArray[np.uint64]
    ) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Column of each hash in the character block, and whether it is in the vocabulary."""
        keys = self.char_keys
        if len(keys) == 0:
            return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=np.bool_)
        slot = np.searchsorted(keys, hashes).astype(np.int64)
        slot[slot == len(keys)] = 0
        return slot, keys[slot] == hashes

    def _counts(self, text_surface: str) -> tuple[IntArray, FloatArray]:
        """Sorted columns present in the text and how often each occurs."""
        index = self.word_index
        words = np.array(
            [i for i in map(index.get, _words(text_surface)) if i is not None], dtype=np.int64
        )
        word_cols, word_counts = np.unique(words, return_counts=True)
        # Sorting the hashes first makes the vocabulary search cache-friendly and yields counts.
        hashes, char_counts = np.unique(char_hashes(text_surface)[0], return_counts=True)
        slot, found = self.lookup_chars(hashes)
        return (
            np.concatenate([word_cols, slot[found] + self.n_word]),
            np.concatenate([word_counts, char_counts[found]]).astype(np.float64),
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.transform_surfaces([surface(t) for t in texts])

    def transform_surfaces(self, surfaces: Sequence[str]) -> sp.csr_matrix:
        """Rows for texts already passed through `surface` (serving keeps them to explain)."""
        return self._weigh(*self._counts_of(surfaces))

    def _counts_of(self, surfaces: Sequence[str]) -> tuple[FloatArray, IntArray, IntArray]:
        pairs = [self._counts(s) for s in surfaces]
        indptr = np.zeros(len(pairs) + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in pairs], out=indptr[1:])
        empty = np.zeros(0, dtype=np.int64)
        indices = np.concatenate([c for c, _ in pairs]) if pairs else empty
        counts = np.concatenate([n for _, n in pairs]) if pairs else empty.astype(np.float64)
        return counts, indices, indptr

    def _tfidf(
        self, counts: FloatArray, indices: IntArray, indptr: IntArray
    ) -> tuple[FloatArray, IntArray]:
        """Sublinear tf × idf per entry, and each entry's row-and-block key (row·2 + block)."""
        data = (1.0 + np.log(counts)) * self.idf[indices]
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        return data, rows * 2 + (indices >= self.n_word).astype(np.int64)

    def _squared_norms(self, counts: FloatArray, indices: IntArray, indptr: IntArray) -> FloatArray:
        data, key = self._tfidf(counts, indices, indptr)
        squared = np.bincount(key, weights=data**2, minlength=2 * (len(indptr) - 1))
        return squared.astype(np.float64)

    def _weigh(self, counts: FloatArray, indices: IntArray, indptr: IntArray) -> sp.csr_matrix:
        n_rows = len(indptr) - 1
        data, key = self._tfidf(counts, indices, indptr)
        squared = np.bincount(key, weights=data**2, minlength=2 * n_rows)
        norms = np.sqrt(squared + np.tile(self.norm_floor, n_rows))
        block = key % 2
        data = data / norms[key] * np.where(block == 1, self.char_weight, 1.0)
        return sp.csr_matrix((data, indices, indptr), shape=(n_rows, self.n_features))

    def __getstate__(self) -> dict[str, Any]:
        # Arrays only: the artefact stays small and loads without trusting custom types.
        return {
            "min_df": self.min_df,
            "char_weight": self.char_weight,
            "word_names": np.array(self.word_names, dtype=np.str_),
            "char_keys": self.char_keys,
            "idf": self.idf,
            "norm_floor": self.norm_floor,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.min_df = int(state["min_df"])
        self.char_weight = float(state["char_weight"])
        self.word_names = [str(w) for w in state["word_names"].tolist()]
        self.word_index = {w: i for i, w in enumerate(self.word_names)}
        self.char_keys = np.asarray(state["char_keys"], dtype=np.uint64)
        self.idf = np.asarray(state["idf"], dtype=np.float64)
        self.norm_floor = np.asarray(state["norm_floor"], dtype=np.float64)
