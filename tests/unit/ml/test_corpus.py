"""Records, label space, keyword examples and training options on small data."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ml.classifier import Classifier
from ml.corpus import Example, corpus_hash, keyword_examples, load_jsonl, load_split, validate
from ml.labels import LANGUAGES, OUT_OF_SCOPE, AreaLabel, LabelSpace
from ml.train import train


def _record(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "t-1",
        "language": "en",
        "text": "Training for border guards.",
        "areas": ["border-management"],
        "paragraphs": [18],
        "form": "email",
        "sender": "Ministry",
        "provenance": "test",
    }
    record.update(changes)
    return record


def test_load_jsonl_reads_records_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "en.jsonl"
    path.write_text(json.dumps(_record()) + "\n\n", encoding="utf-8")
    [example] = load_jsonl(path)
    assert example.areas == ("border-management",)
    assert example.paragraphs == (18,)
    assert example.weight == 1.0


def test_load_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "en.jsonl"
    path.write_text(json.dumps(_record()) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en\.jsonl:2"):
        load_jsonl(path)


def test_load_split_reads_every_language_file(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    for n, lang in enumerate(("fr", "en")):
        line = json.dumps(_record(id=f"t-{n}", language=lang))
        (tmp_path / "train" / f"{lang}.jsonl").write_text(line + "\n", encoding="utf-8")
    assert [e.language for e in load_split("train", root=tmp_path)] == ["en", "fr"]


def test_corpus_hash_ignores_order_but_not_content() -> None:
    a = Example.from_record(_record(id="a"))
    b = Example.from_record(_record(id="b", text="Other text."))
    assert corpus_hash([a, b]) == corpus_hash([b, a])
    assert corpus_hash([a, b]) != corpus_hash([a, replace(b, areas=("cbrn",))])


def test_validate_reports_each_kind_of_problem(label_space: LabelSpace) -> None:
    bad = [
        Example.from_record(_record(id="dup")),
        Example.from_record(_record(id="dup")),
        Example.from_record(_record(id="lang", language="de")),
        Example.from_record(_record(id="area", areas=["nonsense"])),
        Example.from_record(_record(id="oos", areas=[OUT_OF_SCOPE], paragraphs=[3])),
        Example.from_record(_record(id="mix", areas=[OUT_OF_SCOPE, "cbrn"], paragraphs=[])),
        Example.from_record(_record(id="para", paragraphs=[99])),
        Example.from_record(_record(id="none", paragraphs=[])),
        Example.from_record(_record(id="empty", text="  ")),
    ]
    problems = "\n".join(validate(bad, label_space))
    for fragment in (
        "dup: id used 2",
        "lang: unknown language",
        "area: unknown areas",
        "oos: out-of-scope record with paragraphs",
        "mix: out-of-scope mixed",
        "para: unknown paragraphs",
        "none: in-scope record without",
        "empty: empty text",
    ):
        assert fragment in problems
    assert validate([Example.from_record(_record())], label_space) == []


def test_keyword_examples_cover_every_area_and_language(label_space: LabelSpace) -> None:
    examples = keyword_examples(label_space)
    covered = {(e.primary_area, e.language) for e in examples}
    assert covered == {(a, lang) for a in label_space.area_ids for lang in LANGUAGES}
    assert all(e.paragraphs == (label_space.area(e.primary_area).paragraphs[0],) for e in examples)
    assert all(len(e.text) < 400 for e in examples)
    assert validate(examples, label_space) == []


def test_label_space_round_trips_through_a_dict(label_space: LabelSpace) -> None:
    assert LabelSpace.from_dict(label_space.to_dict()) == label_space


def test_label_space_rejects_duplicates_and_the_out_of_scope_label() -> None:
    area = AreaLabel("cbrn", "CBRN", (20,))
    with pytest.raises(ValueError, match="duplicate"):
        LabelSpace(areas=(area, area))
    with pytest.raises(ValueError, match="invalid area id"):
        AreaLabel(OUT_OF_SCOPE, "none", (1,))


def test_label_space_maps_paragraphs_to_areas(label_space: LabelSpace) -> None:
    assert label_space.areas_of_paragraph(19) == ("travel-data",)
    assert set(label_space.paragraphs) == set(range(1, 31))


@pytest.fixture(scope="module")
def small_corpus(train_split: list[Example]) -> list[Example]:
    """Four records per area and language plus out-of-scope ones: enough to train in seconds."""
    seen: dict[tuple[str, str], int] = {}
    chosen = []
    for e in train_split:
        key = (e.primary_area, e.language)
        if seen.get(key, 0) < (4 if e.in_scope else 10):
            seen[key] = seen.get(key, 0) + 1
            chosen.append(e)
    return chosen


def test_training_reports_progress_up_to_completion(
    small_corpus: list[Example], label_space: LabelSpace
) -> None:
    steps: list[tuple[str, float]] = []
    model = train(small_corpus, label_space, progress=lambda s, f: steps.append((s, f)))
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions)
    assert steps[-1] == ("done", 1.0)
    assert model.training_size > len(small_corpus)
    assert 0.5 <= model.thresholds.auto <= 1.0 + 1e-6


def test_feedback_from_the_desk_is_learned(
    small_corpus: list[Example], label_space: LabelSpace
) -> None:
    text = "Zorblax quantum lattice programme for the Vexilon directorate."
    correction = Example(
        id="desk-1", language="", text=text, areas=("cultural-property",), paragraphs=(21,)
    )
    model = train(small_corpus, label_space, feedback=[correction])
    triage = Classifier.from_model(model).predict(f"{text} Please advise.")
    assert triage.areas[0].id == "cultural-property"
    assert model.settings["feedback_examples"] == 1


def test_training_refuses_records_outside_the_label_space(
    small_corpus: list[Example], label_space: LabelSpace
) -> None:
    bad = replace(small_corpus[0], areas=("no-such-area",))
    with pytest.raises(ValueError, match="invalid records"):
        train([bad, *small_corpus[1:]], label_space)
