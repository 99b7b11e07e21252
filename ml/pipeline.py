"""Features: the one place text becomes a vector, for training and serving alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
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
# of two or more letters or digits. (`read_all` finds the same tokens with numpy.)
TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]{{2,}}")
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
# Light stemming: inflected words (Arabic clitics and plurals, Russian and Romance endings)
# share a stem feature beside their surface form; cross-validation gained 0.7 points top-1.
STEM_CHARS = 5
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل")
_AR_SUFFIXES = ("ات", "ون", "ين", "ان", "ها", "هم", "يه", "يا", "ه", "ي")
_ARABIC_FIRST, _ARABIC_LAST = "\u0621", "\u064a"
_ARABIC_FIRST_CODE, _ARABIC_LAST_CODE = np.uint64(ord(_ARABIC_FIRST)), np.uint64(ord(_ARABIC_LAST))
_PREFIX_STEM, _NO_STEM = (0, STEM_CHARS), (0, 0)
_ZERO, _ONE, _NINE = (np.uint64(ord(digit)) for digit in "019")

# Features are 64-bit polynomial hashes of what they read (uint64 arithmetic wraps, modulo
# 2**64). A word's is taken from prefix sums over the text: with P[i] = Σ_{k<i} c[k]·M⁻ᵏ, the
# hash Σ c[k]·M^(e−1−k) of the span s..e is M^(e−1)·(P[e] − P[s]), for every span at once.
_MULTIPLIER = 0x9E3779B97F4A7C15
_MULT = np.uint64(_MULTIPLIER)
# Kinds of word feature, so a word, its stem and a pair never share a hash: the hash of a
# feature is that of its text followed by a control character marking its kind.
_WORD_KIND, _STEM_KIND, _PAIR_KIND = np.uint64(1), np.uint64(2), np.uint64(3)
_SPACE = np.uint64(ord(" "))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
HashArray = npt.NDArray[np.uint64]
CodeArray = npt.NDArray[np.uint64]  # code points, as wide as the hashes made of them


def _powers(base: int) -> HashArray:
    """base⁰, base¹, … modulo 2**64, as far as the longest surface reaches."""
    out = np.full(MAX_CHARS + 3, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out)  # uint64 products wrap


_POWERS, _INVERSE_POWERS = _powers(_MULTIPLIER), _powers(pow(_MULTIPLIER, -1, 1 << 64))
# Where the CJK ranges of TOKEN begin and end: a code point is CJK when an odd number of
# these are at or below it.
_CJK_BOUNDS = np.array(
    [0x3040, 0x3100, 0x3400, 0x4DC0, 0x4E00, 0xA000, 0xF900, 0xFB00], dtype=np.uint64
)
_CHUNK = 512  # texts read and counted at once; more would only hold more memory


def prepare(text: str) -> str:
    """Boilerplate-free, normalised text, bounded in length.

    Equal to normalize(strip_boilerplate(text)) but folds the text only once: the formulas
    match folded text as well as raw text.
    """
    folded = fold(text[:MAX_RAW_CHARS])
    return " ".join(strip_folded(folded).split())[:MAX_CHARS]


def surface(text: str) -> str:
    """The prepared text with punctuation turned into spaces, padded: what features read."""
    return " " + " ".join(_WORD.findall(prepare(text))) + " "


@lru_cache(maxsize=1 << 14)  # a text repeats its words, and texts share most of theirs
def _arabic_stem(token: str) -> tuple[int, int]:
    start, end = 0, len(token)
    for prefix in _AR_PREFIXES:
        if token.startswith(prefix) and end - len(prefix) >= 3:
            start = len(prefix)
            break
    for suffix in _AR_SUFFIXES:
        if token.endswith(suffix) and end - start - len(suffix) >= 3:
            end -= len(suffix)
            break
    return start, end


def stem(token: str) -> tuple[int, int]:
    """Where the stem of a token lies in it: token[start:end], empty when the token is short,
    numeric or CJK and has none."""
    if _ARABIC_FIRST <= token[0] <= _ARABIC_LAST:
        return _arabic_stem(token)
    if len(token) > STEM_CHARS + 1 and token[0] < _ARABIC_FIRST and token.isalpha():
        return _PREFIX_STEM
    return _NO_STEM


def _char_hashes(codes: CodeArray) -> list[HashArray]:
    """For each size in CHAR_SIZES, the hash of the n-gram starting at every position.

    The hash of the n-gram at i is H_n[i] = n·Mⁿ + Σ_k c[i+k]·M^(n−1−k), and each size extends
    the one below: H_n[i] = H_(n−1)[i]·M + c[i+n−1] + Mⁿ.
    """
    # Digits in character n-grams are dates and file numbers, not topics; word tokens keep them.
    codes = np.where((codes >= _ONE) & (codes <= _NINE), _ZERO, codes)
    hashes: list[HashArray] = []
    h = np.zeros(len(codes), dtype=np.uint64)
    for n in range(1, max(CHAR_SIZES) + 1):
        h = h[: len(codes) - n + 1] * _MULT + codes[n - 1 :] + _POWERS[n]
        if n in CHAR_SIZES:
            hashes.append(h)
    return hashes


def _stems(
    text: str, codes: CodeArray, starts: IntArray, ends: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """The tokens that have a stem, as `stem` has it, and where their stems start and end.

    Only the tokens a stem may come from are looked at in Python: those opening with an
    Arabic letter, and the long ones below it.
    """
    first = codes[starts]
    arabic = ((first >= _ARABIC_FIRST_CODE) & (first <= _ARABIC_LAST_CODE)).nonzero()[0]
    long = ((first < _ARABIC_FIRST_CODE) & (ends - starts > STEM_CHARS + 1)).nonzero()[0]
    found = [
        (i, *stem(text[a:b]))
        for i, a, b in zip(
            np.concatenate([arabic, long]).tolist(),
            np.concatenate([starts[arabic], starts[long]]).tolist(),
            np.concatenate([ends[arabic], ends[long]]).tolist(),
            strict=True,
        )
    ]
    spans = np.array(found, dtype=np.int64).reshape(-1, 3)
    spans = spans[spans[:, 2] > spans[:, 1]]
    spans = spans[spans[:, 0].argsort()]
    stemmed = spans[:, 0]
    return stemmed, starts[stemmed] + spans[:, 1], starts[stemmed] + spans[:, 2]


def _token_spans(codes: CodeArray) -> tuple[IntArray, IntArray]:
    """Where the TOKEN matches of surfaces (text of letters, digits and spaces) start and end.

    A token is a CJK character, or a run of two or more other letters or digits.
    """
    cjk = _CJK_BOUNDS.searchsorted(codes, side="right") % 2 == 1
    letter = (codes != _SPACE) & ~cjk
    # A run starts at a letter after a non-letter and ends at a non-letter after a letter;
    # positions −1 and len(codes) count as non-letters.
    around = np.concatenate([[False], letter, [False]])
    starts = (around[1:-1] & ~around[:-2]).nonzero()[0]
    ends = (~around[1:] & around[:-1]).nonzero()[0]
    long = ends - starts >= 2
    starts, ends = starts[long], ends[long]
    if cjk.any():
        characters = cjk.nonzero()[0]
        starts = np.concatenate([starts, characters])
        ends = np.concatenate([ends, characters + 1])
        order = starts.argsort()
        starts, ends = starts[order], ends[order]
    return starts, ends


@dataclass(frozen=True, slots=True)
class Reading:
    """A text as the features read it, kept while serving so explaining a prediction reads the
    text no second time."""

    surface: str  # what `surface` made of the text
    # The TOKEN matches of the surface, in order: where each starts, and where it ends.
    starts: IntArray
    ends: IntArray
    stemmed: IntArray  # the tokens that have a stem
    # Word features, one per occurrence: each token, each pair of neighbouring tokens, and the
    # stems, in that order.
    word_hashes: HashArray
    char_hashes: HashArray  # every character n-gram: those of the smallest size first
    # The token holding each n-gram's middle character; the number of tokens when none does.
    char_tokens: IntArray

    def token(self, number: int) -> str:
        return self.surface[self.starts[number] : self.ends[number]]

    @property
    def tokens(self) -> list[str]:
        ends = self.ends.tolist()
        return [self.surface[a:b] for a, b in zip(self.starts.tolist(), ends, strict=True)]


def read(text: str) -> Reading:
    """What the features read in a text (see `read_all`)."""
    return read_all([text])[0]


def read_all(texts: Sequence[str]) -> list[Reading]:
    """What the features read in each text. The numpy work is done for many texts at once:
    text by text, numpy's calls would cost more than its arithmetic on a short text."""
    steps = range(0, len(texts), _CHUNK)
    return [r for i in steps for r in _read_chunk(texts[i : i + _CHUNK])]


def _read_chunk(texts: Sequence[str]) -> list[Reading]:
    surfaces = [surface(t) for t in texts]
    # The surfaces one after the other (each opens and ends with a space, so no token or pair
    # of tokens spans two), and where each begins and ends.
    joined = "".join(surfaces)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in surfaces], out=bounds[1:])
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    # The text of each position, and the position relative to the start of its text.
    owner = np.arange(len(texts)).repeat(bounds[1:] - bounds[:-1])
    relative = np.arange(len(codes)) - bounds[owner]

    starts, ends = _token_spans(codes)
    first_token = starts.searchsorted(bounds)  # of each text, and after the last
    stemmed, stem_begins, stem_ends = _stems(joined, codes, starts, ends)
    first_stem = stemmed.searchsorted(first_token)

    # Word hashes from prefix sums; powers run from the start of each text, so no power table
    # longer than a surface is needed.
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes * _INVERSE_POWERS[relative], out=prefix[1:])

    def spans(begin: IntArray, end: IntArray) -> HashArray:
        out: HashArray = _POWERS[relative[end - 1]] * (prefix[end] - prefix[begin])
        return out

    unigrams = spans(starts, ends)
    # A pair's hash is that of the two tokens with a space between: "a b". Pairs that straddle
    # two texts are computed too, and left out below.
    pairs = (unigrams[:-1] * _MULT + _SPACE) * _POWERS[(ends - starts)[1:]] + unigrams[1:]
    unigrams = unigrams * _MULT + _WORD_KIND
    pairs = pairs * _MULT + _PAIR_KIND
    stem_hashes = spans(stem_begins, stem_ends) * _MULT + _STEM_KIND

    # The token holding each position, numbered within its text; the text's number of tokens
    # for none. A character n-gram is credited to the token holding its middle character.
    positions = np.arange(len(codes))
    holder = starts.searchsorted(positions, side="right") - 1  # the last token to start here
    inside = positions < np.concatenate([ends, [0]])[holder]  # or before (−1: none, reaches 0)
    holder = np.where(inside, holder, first_token[owner + 1]) - first_token[owner]
    grams = _char_hashes(codes)

    readings = []
    for text, (begin, end) in enumerate(pairwise(bounds.tolist())):
        a, b = first_token[text], first_token[text + 1]
        c, d = first_stem[text], first_stem[text + 1]
        sizes = [(n, begin, max(begin, end - n + 1)) for n in CHAR_SIZES]
        readings.append(
            Reading(
                surfaces[text],
                starts[a:b] - begin,
                ends[a:b] - begin,
                stemmed[c:d] - a,
                np.concatenate([unigrams[a:b], pairs[a : max(a, b - 1)], stem_hashes[c:d]]),
                np.concatenate([h[i:j] for h, (_, i, j) in zip(grams, sizes, strict=True)]),
                np.concatenate([holder[i + n // 2 : j + n // 2] for n, i, j in sizes]),
            )
        )
    return readings


@dataclass(frozen=True, slots=True)
class Trace:
    """Where the entries of a batch's feature rows come from, so that an explanation credits
    the words that produced them. An entry is a position in its row; −1 stands for a feature
    the vocabulary lacks."""

    counts: IntArray  # how often each entry's feature occurs (in the order of the matrix's data)
    words: list[IntArray]  # per text, the entry of each item of `Reading.word_hashes`
    chars: list[IntArray]  # per text, the entry of each item of `Reading.char_hashes`


def _document_frequencies(hashes: Sequence[HashArray]) -> tuple[HashArray, IntArray]:
    """Every distinct hash, ascending, and how many documents hold it."""
    seen = [np.unique(h) for h in hashes]
    keys, df = np.unique(
        np.concatenate(seen) if seen else np.zeros(0, np.uint64), return_counts=True
    )
    return keys, df


class Featurizer:
    """TF-IDF over word uni/bigrams, stems and character 3–4-grams; the word block and the
    character block are each L2-normalised.

    Features are hashed: the vocabulary holds the sorted hashes seen in training, one column
    each, and which block each belongs to. Explanations name words from the text itself.
    """

    def __init__(self, *, min_df: int = 2, char_weight: float = 1.0) -> None:
        self.min_df = min_df
        self.char_weight = char_weight
        self.keys = np.zeros(0, dtype=np.uint64)
        self.is_char = np.zeros(0, dtype=np.bool_)
        self.idf = np.zeros(0, dtype=np.float64)
        self.norm_floor = np.zeros(2, dtype=np.float64)

    @property
    def n_features(self) -> int:
        return len(self.keys)

    def fit(self, texts: Sequence[str]) -> Featurizer:
        self._fit_readings(read_all(texts))
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        readings = read_all(texts)
        self._fit_readings(readings)
        return self.transform_readings(readings)

    def _fit_readings(self, readings: Sequence[Reading]) -> None:
        word_keys, word_df = _document_frequencies([r.word_hashes for r in readings])
        char_keys, char_df = _document_frequencies([r.char_hashes for r in readings])
        words, chars = word_df >= self.min_df, char_df >= self.min_df
        keys = np.concatenate([word_keys[words], char_keys[chars]])
        order = keys.argsort()
        self.keys = keys[order]
        self.is_char = np.repeat([False, True], [words.sum(), chars.sum()])[order]
        df = np.concatenate([word_df[words], char_df[chars]])[order]
        n = len(readings)
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self.norm_floor = np.zeros(2, dtype=np.float64)
        columns, indptr, trace = self._count(readings)
        squared = self._squared_norms(trace.counts, columns, indptr)
        self.norm_floor = NORM_SHRINK * np.median(squared.reshape(-1, 2), axis=0)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.transform_readings(read_all(texts))

    def transform_readings(self, readings: Sequence[Reading]) -> sp.csr_matrix:
        return self.transform_traced(readings)[0]

    def transform_traced(self, readings: Sequence[Reading]) -> tuple[sp.csr_matrix, Trace]:
        """Rows for texts already read, and where their entries come from (serving keeps
        both to explain)."""
        columns, indptr, trace = self._count(readings)
        return self._weigh(trace.counts, columns, indptr), trace

    def _count(self, readings: Sequence[Reading]) -> tuple[IntArray, IntArray, Trace]:
        """The CSR structure of the texts' rows (indices, each row's ascending, and indptr),
        and where their entries come from, with how often each occurs: the CSR data."""
        parts = [
            self._count_chunk(readings[i : i + _CHUNK]) for i in range(0, len(readings), _CHUNK)
        ]
        if len(parts) == 1:
            return parts[0]
        empty = np.zeros(0, dtype=np.int64)
        indptr = [np.zeros(1, dtype=np.int64)]
        for _, chunk_indptr, _ in parts:
            indptr.append(chunk_indptr[1:] + indptr[-1][-1])
        return (
            np.concatenate([empty, *(columns for columns, _, _ in parts)]),
            np.concatenate(indptr),
            Trace(
                np.concatenate([empty, *(trace.counts for _, _, trace in parts)]),
                [words for _, _, trace in parts for words in trace.words],
                [chars for _, _, trace in parts for chars in trace.chars],
            ),
        )

    def _count_chunk(self, readings: Sequence[Reading]) -> tuple[IntArray, IntArray, Trace]:
        texts = [np.concatenate([r.word_hashes, r.char_hashes]) for r in readings]
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(h) for h in texts], out=bounds[1:])
        # Each text's hashes sorted: the vocabulary search gets cache-friendly, and repeats of
        # a hash fall next to each other to be counted.
        order = np.concatenate(
            [h.argsort() + b for h, b in zip(texts, bounds[:-1].tolist(), strict=True)]
        )
        ordered = np.concatenate(texts)[order]
        new = np.ones(len(ordered), dtype=np.bool_)
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        sizes = bounds[1:] - bounds[:-1]
        new[bounds[:-1][sizes > 0]] = True  # each text counts its own
        distinct = ordered[new]
        firsts = np.concatenate([new, [True]]).nonzero()[0]
        occurrences = firsts[1:] - firsts[:-1]
        owner = np.arange(len(texts)).repeat(sizes)[new]  # the text of each distinct hash
        columns, found = self._find(distinct)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner[found], minlength=len(texts)), out=indptr[1:])
        # The entry of its row that each distinct hash makes, then each occurrence.
        entry = np.where(found, found.cumsum() - 1 - indptr[owner], -1)
        entries = np.empty(len(ordered), dtype=np.int64)
        entries[order] = entry[new.cumsum() - 1]
        middles = bounds[:-1] + [len(r.word_hashes) for r in readings]
        rows = list(zip(bounds[:-1].tolist(), middles.tolist(), bounds[1:].tolist(), strict=True))
        return (
            columns[found],
            indptr,
            Trace(
                occurrences[found],
                [entries[begin:middle] for begin, middle, _ in rows],
                [entries[middle:end] for _, middle, end in rows],
            ),
        )

    def _find(self, hashes: HashArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """The column of each hash in the vocabulary, and whether the vocabulary holds it."""
        if len(self.keys) == 0:
            return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=np.bool_)
        columns = np.minimum(self.keys.searchsorted(hashes), len(self.keys) - 1)
        return columns, self.keys[columns] == hashes

    def _tfidf(
        self, counts: IntArray, indices: IntArray, indptr: IntArray
    ) -> tuple[FloatArray, IntArray]:
        """Sublinear tf × idf per entry, and each entry's row-and-block key (row·2 + block)."""
        data = (1.0 + np.log(counts)) * self.idf[indices]
        rows = np.arange(len(indptr) - 1).repeat(indptr[1:] - indptr[:-1])
        return data, rows * 2 + self.is_char[indices]

    def _squared_norms(self, counts: IntArray, indices: IntArray, indptr: IntArray) -> FloatArray:
        data, key = self._tfidf(counts, indices, indptr)
        squared = np.bincount(key, weights=data**2, minlength=2 * (len(indptr) - 1))
        return squared.astype(np.float64)

    def _weigh(self, counts: IntArray, indices: IntArray, indptr: IntArray) -> sp.csr_matrix:
        n_rows = len(indptr) - 1
        data, key = self._tfidf(counts, indices, indptr)
        squared = np.bincount(key, weights=data**2, minlength=2 * n_rows)
        norms = np.sqrt(squared + np.tile(self.norm_floor, n_rows))
        block = key % 2
        data = data / norms[key] * np.where(block == 1, self.char_weight, 1.0)
        # 32-bit indices, which scipy would otherwise convert to at every matrix built
        return sp.csr_matrix(
            (data, indices.astype(np.int32), indptr.astype(np.int32)),
            shape=(n_rows, self.n_features),
        )

    def __getstate__(self) -> dict[str, Any]:
        # Arrays only: the artefact stays small and loads without trusting custom types.
        return {
            "min_df": self.min_df,
            "char_weight": self.char_weight,
            "keys": self.keys,
            "is_char": self.is_char,
            "idf": self.idf,
            "norm_floor": self.norm_floor,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.min_df = int(state["min_df"])
        self.char_weight = float(state["char_weight"])
        self.keys = np.asarray(state["keys"], dtype=np.uint64)
        self.is_char = np.asarray(state["is_char"], dtype=np.bool_)
        self.idf = np.asarray(state["idf"], dtype=np.float64)
        self.norm_floor = np.asarray(state["norm_floor"], dtype=np.float64)
