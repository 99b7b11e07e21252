"""Fixtures: the label space from the catalogue, the corpus splits and one trained model."""

from pathlib import Path

import pytest

from app.catalogue.loader import load_catalogue
from ml import artefact
from ml.classifier import Classifier
from ml.corpus import Example, load_split
from ml.labels import AreaLabel, LabelSpace
from ml.model import TrainedModel
from ml.train import train


@pytest.fixture(scope="session")
def label_space() -> LabelSpace:
    catalogue = load_catalogue()
    return LabelSpace(
        areas=tuple(
            AreaLabel(a.id, a.name, a.paragraphs, {k: tuple(v) for k, v in a.keywords.items()})
            for a in catalogue.areas
        ),
        paragraph_summaries={p.number: p.summary for p in catalogue.paragraphs},
    )


@pytest.fixture(scope="session")
def train_split() -> list[Example]:
    return load_split("train")


@pytest.fixture(scope="session")
def validation_split() -> list[Example]:
    return load_split("validation")


@pytest.fixture(scope="session")
def model(train_split: list[Example], label_space: LabelSpace) -> TrainedModel:
    return train(train_split, label_space)


@pytest.fixture(scope="session")
def model_dir(model: TrainedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    artefact.save(model, directory)
    return directory


@pytest.fixture(scope="session")
def classifier(model_dir: Path) -> Classifier:
    return Classifier.load(model_dir)
