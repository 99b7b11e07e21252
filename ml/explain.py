"""Which words of a text pushed a class: feature contributions mapped back to the text."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from ml.pipeline import HashArray, Reading

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
MAX_RUN = 6  # Chinese characters joined into one term at most
RUN_FLOOR = 0.25  # share of the best character's credit a character needs to stay in a run

# A term, its contribution, and where in the text it first occurs (a token's number).
Term = tuple[str, float, int]


def strongest_terms(
    reading: Reading, word_shares: FloatArray, char_shares: FloatArray, count: int
) -> list[tuple[str, float]]:
    """The `count` words or word pairs of the text that contribute most (tf-idf value × weight)
    to a class, strongest first, with their contributions.

    `reading` is what `pipeline.read` made of the text; `word_shares` and `char_shares` hold
    what each of its word features and character n-grams (`reading.word_hashes` and
    `reading.char_hashes`) brings: the positive contribution of its feature, shared evenly
    among the feature's occurrences.
    Each occurrence credits what produced it: a pair of words is a term of its own, a word and
    its stem credit the word, a character n-gram the word holding its middle character.
    Chinese characters (their pairs credit both) are shown as the runs of credited characters
    they form, so every term shown is one a reader finds in the text; a lone character that no
    pair absorbed says little and is left out.
    """
    n = len(reading.starts)
    if n == 0:
        return []
    pairs = word_shares[n : 2 * n - 1]
    credit = (
        word_shares[:n]
        + np.bincount(reading.stemmed, weights=word_shares[2 * n - 1 :], minlength=n)
        # n-grams that no token holds go to the extra last bin, dropped
        + np.bincount(reading.char_tokens, weights=char_shares, minlength=n + 1)[:n]
    )
    # One-character tokens are Chinese characters: other tokens have two letters or more.
    chinese = reading.ends - reading.starts == 1
    if chinese[:-1].any():
        # A pair opening with a Chinese character credits both halves, when they touch.
        joined = chinese[:-1] & (reading.ends[:-1] == reading.starts[1:])
        half = np.where(joined, pairs, 0.0) / 2
        credit[:-1] += half
        credit[1:] += half
        pairs = np.where(chinese[:-1], 0.0, pairs)
    hashes = reading.word_hashes
    terms = [
        *_strongest(hashes[:n], credit, ~chinese & (credit > 0), count, reading.token),
        *_strongest(
            hashes[n : 2 * n - 1],
            pairs,
            pairs > 0,
            count,
            lambda i: f"{reading.token(i)} {reading.token(i + 1)}",
        ),
        *_runs(reading, credit, chinese.nonzero()[0]),
    ]
    terms.sort(key=lambda term: (-term[1], term[2]))
    return [(name, value) for name, value, _ in terms[:count]]


def _strongest(
    hashes: HashArray,
    values: FloatArray,
    wanted: BoolArray,
    count: int,
    name: Callable[[int], str],
) -> list[Term]:
    """The `count` strongest of the wanted terms, each term's values summed over its
    occurrences (equal hashes: the same term); `name` names a term from an occurrence."""
    where = wanted.nonzero()[0]
    if not len(where):
        return []
    # Occurrences grouped by hash, each group in text order.
    order = where[hashes[where].argsort(kind="stable")]
    grouped = hashes[order]
    starts = np.concatenate([[True], grouped[1:] != grouped[:-1]]).nonzero()[0]
    totals = np.add.reduceat(values[order], starts)
    first = order[starts]
    best = np.lexsort((first, -totals))[:count]  # ties: first in the text first
    return [
        (name(i), total, i)
        for i, total in zip(first[best].tolist(), totals[best].tolist(), strict=True)
    ]


def _runs(reading: Reading, credit: FloatArray, chinese: IntArray) -> list[Term]:
    """Runs of strongly credited Chinese characters, as terms of two characters or more."""
    if not len(chinese):
        return []
    # Weakly credited characters end a run, so runs follow the words that mattered.
    values = credit[chinese]
    strong = chinese[(values > 0) & (values >= RUN_FLOOR * values.max())]
    # A run ends where the next strong character does not touch it.
    breaks = (reading.ends[strong[:-1]] != reading.starts[strong[1:]]).nonzero()[0] + 1
    cuts = [0, *breaks.tolist(), len(strong)]
    numbers = strong.tolist()
    runs = [numbers[a:b] for a, b in pairwise(cuts) if b > a]
    starts, credits = reading.starts.tolist(), credit.tolist()
    totals: dict[str, Term] = {}
    for run in _split(runs, credits):
        text = "".join(reading.surface[starts[i]] for i in run)  # one character each
        _, total, first = totals.get(text, (text, 0.0, run[0]))
        totals[text] = (text, total + sum(credits[i] for i in run), min(first, run[0]))
    return [term for term in totals.values() if len(term[0]) > 1]


def _split(runs: list[list[int]], credit: list[float]) -> list[list[int]]:
    """Runs too long to read as one term cut at their least credited character."""
    out: list[list[int]] = []
    pending = list(runs)
    while pending:
        run = pending.pop()
        if len(run) <= MAX_RUN:
            out.append(run)
            continue
        cut = min(range(1, len(run) - 1), key=lambda i: credit[run[i]])
        pending += [run[:cut], run[cut + 1 :]]
    return out
