"""Artefacts: skops only, a card beside the model, checksums and versions enforced."""

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

from ml import artefact
from ml.artefact import ArtefactError
from ml.classifier import Classifier
from ml.model import TrainedModel

from .probes import PROBES


class Intruder:
    """A type no artefact should ever contain."""

    def __init__(self) -> None:
        self.payload = "x"


TEXTS = [PROBES["cbrn"]["en"], PROBES["financing"]["zh"], PROBES["prisons"]["ar"], ""]


@pytest.fixture
def copy(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(model_dir, target)
    return target


def test_round_trip_gives_the_same_triage(model: TrainedModel, classifier: Classifier) -> None:
    fresh = Classifier.from_model(model)
    for before, after in zip(
        fresh.predict_many(TEXTS), classifier.predict_many(TEXTS), strict=True
    ):
        assert after.decision == before.decision
        assert [a.id for a in after.areas[:3]] == [a.id for a in before.areas[:3]]
        assert after.confidence == pytest.approx(before.confidence, abs=1e-3)
        assert [p.number for p in after.paragraphs[:3]] == [p.number for p in before.paragraphs[:3]]


def test_card_describes_the_model(model_dir: Path, classifier: Classifier) -> None:
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["version"] == classifier.version
    assert card["labels"]["areas"] == list(classifier.label_space.area_ids)
    assert set(card["libraries"]) >= {"numpy", "scipy", "scikit-learn", "skops"}
    assert len(card["sha256"]) == 64
    assert card["corpus_hash"]
    assert card["training_size"] > 0
    assert card["cross_validation"]["area_top1"] > 0
    assert card["calibration_error"]["cross_validation"] is not None
    assert card["paragraph_summaries"]["9"]
    assert 0 < card["thresholds"]["auto"] <= 1
    assert classifier.card["sha256"] == card["sha256"]


def test_model_is_stored_with_skops_and_no_pickle(model_dir: Path) -> None:
    assert sorted(p.name for p in model_dir.iterdir()) == ["card.json", "model.skops"]
    with zipfile.ZipFile(model_dir / "model.skops") as archive:
        names = archive.namelist()
    assert "schema.json" in names
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)
    assert sio.get_untrusted_types(file=model_dir / "model.skops") == []


def test_a_tampered_model_file_is_refused(copy: Path) -> None:
    data = bytearray((copy / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.skops").write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match="checksum"):
        Classifier.load(copy)


def test_a_card_pointing_at_another_checksum_is_refused(copy: Path) -> None:
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["sha256"] = "0" * 64
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ArtefactError, match="checksum"):
        Classifier.load(copy)


def test_the_callers_checksum_is_enforced(model_dir: Path) -> None:
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    assert Classifier.load(model_dir, expected_sha256=card["sha256"]).version == card["version"]
    with pytest.raises(ArtefactError, match="expected checksum"):
        Classifier.load(model_dir, expected_sha256="f" * 64)


def test_a_model_made_with_other_library_versions_is_refused(copy: Path) -> None:
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["libraries"]["scikit-learn"] = "0.24.2"
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ArtefactError, match="scikit-learn"):
        Classifier.load(copy)


def test_a_model_holding_untrusted_types_is_refused(copy: Path, model: TrainedModel) -> None:
    # A well-formed skops file whose content needs a type outside the trusted list.
    state = artefact._state(model)
    state["intruder"] = Intruder()
    sio.dump(state, copy / "model.skops")
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["sha256"] = hashlib.sha256((copy / "model.skops").read_bytes()).hexdigest()
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ArtefactError, match="untrusted"):
        Classifier.load(copy)


def test_a_missing_artefact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError):
        Classifier.load(tmp_path)


def test_save_returns_the_card_it_writes(model: TrainedModel, tmp_path: Path) -> None:
    card = artefact.save(model, tmp_path / "m", validation_metrics={"ece": 0.01})
    assert json.loads((tmp_path / "m" / "card.json").read_text(encoding="utf-8")) == card
    assert card["calibration_error"]["validation"] == 0.01
