"""Data checks on the corpus: labels, coverage per area and language, duplicates, leaks."""

from collections import Counter

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from ml.corpus import CORPUS_ROOT, Example, load_jsonl, validate
from ml.labels import LANGUAGES, LabelSpace
from ml.text import normalize

MIN_PRIMARY_PER_AREA_AND_LANGUAGE = 12
MIN_OUT_OF_SCOPE = 250
NEAR_DUPLICATE_JACCARD = 0.8
SHINGLE = 5


def _jaccard_matrix(texts: list[str]) -> npt.NDArray[np.float64]:
    """Pairwise Jaccard similarity of character 5-gram sets (self-pairs zeroed)."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, text in enumerate(texts):
        folded = normalize(text)
        shingles = {folded[i : i + SHINGLE] for i in range(max(1, len(folded) - SHINGLE + 1))}
        for shingle in shingles:
            cols.append(vocabulary.setdefault(shingle, len(vocabulary)))
            rows.append(row)
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(vocabulary))
    )
    inter = (matrix @ matrix.T).toarray()
    size = np.asarray(matrix.sum(axis=1)).ravel()
    jaccard: npt.NDArray[np.float64] = inter / np.maximum(
        size[:, None] + size[None, :] - inter, 1.0
    )
    np.fill_diagonal(jaccard, 0.0)
    return jaccard


def test_splits_are_not_empty(train_split: list[Example], validation_split: list[Example]) -> None:
    assert train_split
    assert validation_split


@pytest.mark.parametrize("split", ["train_split", "validation_split"])
def test_every_record_fits_the_label_space(
    split: str, label_space: LabelSpace, request: pytest.FixtureRequest
) -> None:
    assert validate(request.getfixturevalue(split), label_space) == []


def test_every_area_has_enough_primary_records_in_every_language(
    train_split: list[Example], label_space: LabelSpace
) -> None:
    counts = Counter((e.primary_area, e.language) for e in train_split)
    short = {
        f"{area}/{lang}": counts[(area, lang)]
        for area in label_space.area_ids
        for lang in LANGUAGES
        if counts[(area, lang)] < MIN_PRIMARY_PER_AREA_AND_LANGUAGE
    }
    assert short == {}


def test_enough_out_of_scope_records_in_all_six_languages(train_split: list[Example]) -> None:
    out = [e for e in train_split if not e.in_scope]
    assert len(out) >= MIN_OUT_OF_SCOPE
    assert {e.language for e in out} == set(LANGUAGES)


def test_ids_are_unique_within_and_between_splits(
    train_split: list[Example], validation_split: list[Example]
) -> None:
    counts = Counter(e.id for e in [*train_split, *validation_split])
    assert [i for i, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("split", ["train", "validation"])
def test_each_language_file_holds_records_of_that_language(split: str) -> None:
    files = sorted((CORPUS_ROOT / split).glob("*.jsonl"))
    assert {f.stem for f in files} == set(LANGUAGES)
    for path in files:
        assert {e.language for e in load_jsonl(path)} == {path.stem}


def test_no_duplicate_or_near_duplicate_text_within_or_between_splits(
    train_split: list[Example], validation_split: list[Example]
) -> None:
    examples = [*train_split, *validation_split]
    jaccard = _jaccard_matrix([e.text for e in examples])
    first, second = np.nonzero(np.triu(jaccard) >= NEAR_DUPLICATE_JACCARD)
    pairs = [
        (examples[a].id, examples[b].id, round(float(jaccard[a, b]), 3))
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    assert pairs == []
