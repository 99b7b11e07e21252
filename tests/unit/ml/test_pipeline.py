"""Features read in bulk with numpy match their definitions, text by text, in plain Python."""

import random
import unicodedata
from itertools import pairwise

import numpy as np
import pytest

from ml import pipeline
from ml.corpus import Example
from ml.pipeline import CHAR_SIZES, TOKEN, Featurizer, read, read_all, stem, surface
from ml.text import _TABLE, fold, strip_boilerplate, strip_folded

MULTIPLIER = 0x9E3779B97F4A7C15
WORD, STEM, PAIR = "\x01", "\x02", "\x03"  # the kinds of word feature, as hashed
# Letters of the six scripts, digits, CJK, punctuation, invisible and astral characters.
ALPHABET = "ab cdé ÑЖжё 12٣ ا بة أى\u064e 中文字\u3041 \n\t.,;-_ \u200b\u00ad 𠀀😀\ud800"


def polynomial(text: str) -> int:
    value = 0
    for char in text:
        value = (value * MULTIPLIER + ord(char)) % 2**64
    return value


def random_texts(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 80))) for _ in range(count)]


@pytest.fixture(scope="module")
def texts(train_split: list[Example]) -> list[str]:
    return [e.text for e in train_split[::5]] + random_texts(500) + ["", " ", "a", "x" * 7000]


def test_tokens_are_the_token_pattern_matches_of_the_surface(texts: list[str]) -> None:
    for text, reading in zip(texts, read_all(texts), strict=True):
        assert reading.surface == surface(text)
        matches = list(TOKEN.finditer(reading.surface))
        assert reading.tokens == [m.group() for m in matches]
        assert reading.starts.tolist() == [m.start() for m in matches]
        assert reading.ends.tolist() == [m.end() for m in matches]


def test_word_hashes_hash_each_token_pair_and_stem_with_its_kind(texts: list[str]) -> None:
    for reading in read_all(texts):
        tokens = reading.tokens
        stems = [(i, stem(t)) for i, t in enumerate(tokens) if stem(t)[1] > stem(t)[0]]
        assert reading.stemmed.tolist() == [i for i, _ in stems]
        expected = (
            [polynomial(t + WORD) for t in tokens]
            + [polynomial(f"{a} {b}" + PAIR) for a, b in pairwise(tokens)]
            + [polynomial(tokens[i][a:b] + STEM) for i, (a, b) in stems]
        )
        assert reading.word_hashes.tolist() == expected


def test_character_ngrams_hash_with_digits_as_zero_and_know_their_token(
    texts: list[str],
) -> None:
    for reading in read_all(texts[-60:]):
        text = reading.surface.translate(str.maketrans("123456789", "000000000"))
        grams = [(n, i) for n in CHAR_SIZES for i in range(len(text) - n + 1)]
        hashes = [
            (n * pow(MULTIPLIER, n, 2**64) + polynomial(text[i : i + n])) % 2**64 for n, i in grams
        ]
        assert reading.char_hashes.tolist() == hashes
        spans = list(zip(reading.starts.tolist(), reading.ends.tolist(), strict=True))
        holders = [
            next((k for k, (a, b) in enumerate(spans) if a <= i + n // 2 < b), len(spans))
            for n, i in grams
        ]
        assert reading.char_tokens.tolist() == holders


def test_a_text_reads_the_same_alone_and_in_a_batch(texts: list[str]) -> None:
    for text, together in zip(texts[:40], read_all(texts[:40]), strict=True):
        alone = read(text)
        assert alone.surface == together.surface
        for field in ("starts", "ends", "stemmed", "word_hashes", "char_hashes", "char_tokens"):
            assert np.array_equal(getattr(alone, field), getattr(together, field)), field


def test_rows_do_not_depend_on_how_texts_are_chunked(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    featurizer = Featurizer().fit(texts)
    whole = featurizer.transform(texts)
    monkeypatch.setattr(pipeline, "_CHUNK", 7)
    chunked, trace = featurizer.transform_traced(read_all(texts))
    assert (whole != chunked).nnz == 0
    # Each entry counts the occurrences that add to it.
    for row, (begin, end) in enumerate(pairwise(chunked.indptr.tolist())):
        entries = np.concatenate([trace.words[row], trace.chars[row]])
        occurrences = np.bincount(entries[entries >= 0], minlength=end - begin)
        assert occurrences.tolist() == trace.counts[begin:end].tolist()


def test_fold_equals_its_definition(texts: list[str]) -> None:
    for text in texts:
        assert fold(text) == unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()


def test_folded_text_loses_the_same_boilerplate(train_split: list[Example]) -> None:
    for example in train_split[::3]:
        folded = fold(example.text)
        assert strip_folded(folded).split() == strip_boilerplate(folded).split()
