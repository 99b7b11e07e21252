"""Which words of a text pushed a class: feature contributions mapped back to the text."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from ml.pipeline import STEM_CHARS, STEM_PREFIX, TOKEN, Featurizer, char_hashes, stem

FloatArray = npt.NDArray[np.float64]
# Only the strongest features are traced back to the text: the few terms shown are made of
# them, and tracing every feature of a long request would cost more than classifying it.
TOP_WORD_FEATURES = 48
TOP_CHAR_FEATURES = 256
MAX_RUN = 6  # Chinese characters joined into one term at most
RUN_FLOOR = 0.25  # share of the best character's credit a character needs to stay in a run


def _strongest(
    columns: npt.NDArray[np.int64], values: FloatArray, keep: int
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    if len(values) > keep:
        chosen = np.sort(np.argpartition(-values, keep)[:keep])
        return columns[chosen], values[chosen]
    return columns, values


def term_contributions(
    featurizer: Featurizer,
    text_surface: str,
    columns: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    data: FloatArray,
    weights: npt.NDArray[np.float32] | FloatArray,
) -> dict[str, float]:
    """Positive contribution (tf-idf value × weight) of each word or word pair of the text.

    `columns` and `data` are the text's feature row (a CSR row's indices and data) and
    `text_surface` what `pipeline.surface` made of the text.
    Stems are credited to the words sharing them, character n-grams to the word holding their
    middle character, and Chinese characters are shown as the runs of credited characters
    they form, so every term shown is one a reader finds in the text.
    """
    values = data * weights[columns]
    positive = values > 0
    columns, values = columns[positive].astype(np.int64), values[positive]
    spans = [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text_surface)]
    credit = np.zeros(len(spans), dtype=np.float64)
    terms: defaultdict[str, float] = defaultdict(float)
    is_word = columns < featurizer.n_word
    word_columns, word_values = _strongest(columns[is_word], values[is_word], TOP_WORD_FEATURES)
    traced: list[tuple[str, str, float]] = []
    for column, value in zip(word_columns.tolist(), word_values.tolist(), strict=True):
        name = featurizer.word_names[column]
        first, _, second = name.partition(" ")
        # Stems and Chinese characters (one-character tokens) go to the tokens holding them.
        if name.startswith(STEM_PREFIX) or len(first) == 1:
            traced.append((first, second, value))
        else:
            terms[name] += value
    if traced:
        where = _occurrences(spans, {first for first, _, _ in traced})
        for first, second, value in traced:
            holders = (
                _pair_holders(spans, where.get(first, []), second)
                if second
                else where.get(first, [])
            )
            for holder in holders:
                credit[holder] += value / len(holders)
    char_columns, char_values = _strongest(columns[~is_word], values[~is_word], TOP_CHAR_FEATURES)
    if len(char_columns) and spans:
        credit += _character_credit(featurizer, text_surface, char_columns, char_values, spans)
    _collect(spans, credit, terms)
    return dict(terms)


def _pair_holders(spans: list[tuple[int, int, str]], firsts: list[int], second: str) -> list[int]:
    """Both tokens of each place where `second` directly follows one of `firsts`."""
    holders: list[int] = []
    for i in firsts:
        if i + 1 < len(spans) and spans[i + 1][2] == second and spans[i][1] == spans[i + 1][0]:
            holders += [i, i + 1]
    return holders


def _occurrences(spans: list[tuple[int, int, str]], wanted: set[str]) -> dict[str, list[int]]:
    """Positions of the tokens that are (Chinese characters) or stem to a wanted key."""
    arabic = any(key[1:2] >= "\u0600" for key in wanted if key.startswith(STEM_PREFIX))
    where: dict[str, list[int]] = {}
    for number, (_, _, token) in enumerate(spans):
        if len(token) == 1 or STEM_PREFIX + token[:STEM_CHARS] in wanted or arabic:
            key = token if len(token) == 1 else stem(token)
            if key in wanted:
                where.setdefault(key, []).append(number)
    return where


def _character_credit(
    featurizer: Featurizer,
    text_surface: str,
    columns: npt.NDArray[np.int64],
    values: FloatArray,
    spans: list[tuple[int, int, str]],
) -> FloatArray:
    # Only the few n-grams that pushed the class are searched for in the text.
    keys = featurizer.char_keys[columns - featurizer.n_word]
    hashes, centres = char_hashes(text_surface)
    slot = np.searchsorted(keys, hashes)
    slot[slot == len(keys)] = 0
    hit = keys[slot] == hashes
    slot, centres = slot[hit], centres[hit]
    if not len(slot):
        return np.zeros(len(spans), dtype=np.float64)
    share = values[slot] / np.bincount(slot, minlength=len(keys))[slot]
    starts = np.array([s for s, _, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e, _ in spans], dtype=np.int64)
    token = np.searchsorted(starts, centres, side="right") - 1
    inside = (token >= 0) & (centres < ends[np.maximum(token, 0)])
    totals = np.bincount(token[inside], weights=share[inside], minlength=len(spans))
    return totals.astype(np.float64)


def _collect(
    spans: list[tuple[int, int, str]], credit: FloatArray, terms: defaultdict[str, float]
) -> None:
    """Credited words as terms; Chinese characters joined into runs of strongly credited ones."""
    # One-character tokens are Chinese characters: other tokens have two letters or more.
    cjk = np.array([len(token) == 1 for _, _, token in spans], dtype=np.bool_)
    strong = credit > 0
    if cjk.any():
        # Weakly credited characters end a run, so runs follow the words that mattered.
        strong &= ~cjk | (credit >= RUN_FLOOR * float(credit[cjk].max()))
    run: list[int] = []
    for number in np.flatnonzero(strong).tolist():
        start, _, token = spans[number]
        if not cjk[number]:
            terms[token] += float(credit[number])
            continue
        if run and spans[run[-1]][1] != start:
            _add_run(spans, credit, run, terms)
            run = []
        run.append(number)
    if run:
        _add_run(spans, credit, run, terms)


def _add_run(
    spans: list[tuple[int, int, str]],
    credit: FloatArray,
    run: list[int],
    terms: defaultdict[str, float],
) -> None:
    if len(run) > MAX_RUN:
        # Too long to read as one term: cut at its least credited character.
        cut = min(range(1, len(run) - 1), key=lambda i: credit[run[i]])
        _add_run(spans, credit, run[:cut], terms)
        _add_run(spans, credit, run[cut + 1 :], terms)
        return
    terms["".join(spans[i][2] for i in run)] += float(credit[run].sum())
