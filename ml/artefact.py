"""Saving and loading a model as skops arrays with a model card, verified by checksum."""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from ml.labels import LabelSpace
from ml.model import LinearHead, Thresholds, TrainedModel
from ml.pipeline import Featurizer

MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
FORMAT = 2  # 2: features hashed, the vocabulary holds hashes, not names
# The artefact holds only dicts, lists, strings, numbers and numpy arrays: nothing beyond
# these types may be instantiated when loading, whatever the file claims.
TRUSTED_TYPES: list[str] = []
# Versions that must match (major.minor) for the arrays to mean what they meant in training.
CHECKED_LIBRARIES = ("numpy", "scipy", "scikit-learn", "skops")
RECORDED_LIBRARIES = (*CHECKED_LIBRARIES, "lingua-language-detector")


class ArtefactError(Exception):
    """The artefact is missing, tampered with, or made with incompatible libraries."""


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = package_version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _state(model: TrainedModel) -> dict[str, Any]:
    head = model.head
    return {
        "format": FORMAT,
        "label_space": model.label_space.to_dict(),
        "featurizer": model.featurizer.__getstate__(),
        # float16 keeps the file under its size budget; scores move by about 1e-4, far less
        # than the distance of almost every record from a threshold.
        "weights": head.weights.astype(np.float16),
        "intercept": head.intercept,
        "slope": head.slope,
        "offset": head.offset,
        "paragraph_numbers": np.array(model.paragraph_numbers, dtype=np.int64),
        "coupling": model.coupling,
        "mix": float(model.mix),
        "route_slope": float(model.route_calibration[0]),
        "route_offset": float(model.route_calibration[1]),
        "threshold_auto": float(model.thresholds.auto),
        "threshold_scope": float(model.thresholds.scope),
        "threshold_auto_by_language": {
            k: float(v) for k, v in sorted(model.thresholds.auto_by_language.items())
        },
        "version": model.version,
        "created_at": model.created_at,
        "corpus_hash": model.corpus_hash,
        "training_size": int(model.training_size),
    }


def save(
    model: TrainedModel, directory: Path | str, *, validation_metrics: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write model.skops and card.json into `directory` (created if needed); return the card."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    sio.dump(_state(model), path, compression=zipfile.ZIP_DEFLATED)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    card: dict[str, Any] = {
        "format": FORMAT,
        "version": model.version,
        "created_at": model.created_at,
        "artefact": MODEL_FILE,
        "sha256": digest,
        "size_bytes": path.stat().st_size,
        "labels": {
            "areas": list(model.label_space.area_ids),
            "paragraphs": list(model.paragraph_numbers),
            "decisions": ["auto_routed", "needs_review", "out_of_scope"],
        },
        "thresholds": {
            "auto": model.thresholds.auto,
            "scope": model.thresholds.scope,
            "auto_by_language": dict(model.thresholds.auto_by_language),
        },
        "corpus_hash": model.corpus_hash,
        "libraries": _library_versions(),
        "training_size": model.training_size,
        "settings": model.settings,
        "cross_validation": model.cv_metrics,
        "validation_metrics": validation_metrics,
        "calibration_error": {
            "cross_validation": model.cv_metrics.get("ece"),
            "validation": (validation_metrics or {}).get("ece"),
        },
        "label_space": model.label_space.to_dict(),
        "paragraph_summaries": {
            str(k): v for k, v in sorted(model.label_space.paragraph_summaries.items())
        },
    }
    (folder / CARD_FILE).write_text(
        json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return card


def _model_from_state(state: dict[str, Any], card: dict[str, Any]) -> TrainedModel:
    featurizer = Featurizer.__new__(Featurizer)
    featurizer.__setstate__(state["featurizer"])
    head = LinearHead(
        weights=np.ascontiguousarray(state["weights"], dtype=np.float32),
        intercept=np.asarray(state["intercept"], dtype=np.float64),
        slope=np.asarray(state["slope"], dtype=np.float64),
        offset=np.asarray(state["offset"], dtype=np.float64),
    )
    return TrainedModel(
        label_space=LabelSpace.from_dict(state["label_space"]),
        featurizer=featurizer,
        head=head,
        paragraph_numbers=tuple(int(p) for p in state["paragraph_numbers"].tolist()),
        coupling=np.asarray(state["coupling"], dtype=np.float64),
        mix=float(state["mix"]),
        route_calibration=(float(state["route_slope"]), float(state["route_offset"])),
        thresholds=Thresholds(
            auto=float(state["threshold_auto"]),
            scope=float(state["threshold_scope"]),
            auto_by_language={
                str(k): float(v) for k, v in state["threshold_auto_by_language"].items()
            },
        ),
        version=str(state["version"]),
        created_at=str(state["created_at"]),
        corpus_hash=str(state["corpus_hash"]),
        training_size=int(state["training_size"]),
        cv_metrics=dict(card.get("cross_validation") or {}),
        settings=dict(card.get("settings") or {}),
    )


def load(
    directory: Path | str, expected_sha256: str | None = None
) -> tuple[TrainedModel, dict[str, Any]]:
    """The model and its card; raises ArtefactError on any mismatch or unexpected content."""
    folder = Path(directory)
    try:
        card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
        data = (folder / MODEL_FILE).read_bytes()
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"cannot read artefact in {folder}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != card.get("sha256"):
        raise ArtefactError("model.skops does not match the checksum in card.json")
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise ArtefactError("model.skops does not match the expected checksum")
    if card.get("format") != FORMAT:
        raise ArtefactError(f"unsupported artefact format {card.get('format')!r}")
    recorded = card.get("libraries") or {}
    current = _library_versions()
    for name in CHECKED_LIBRARIES:
        if _minor(str(recorded.get(name, ""))) != _minor(current[name]):
            raise ArtefactError(
                f"{name} {recorded.get(name)!r} in the card, {current[name]} installed"
            )
    try:
        untrusted = sio.get_untrusted_types(data=data)
        unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unexpected:
            raise ArtefactError(f"artefact holds untrusted types {unexpected}")
        state = sio.loads(data, trusted=TRUSTED_TYPES)
        return _model_from_state(state, card), card
    except ArtefactError:
        raise
    except Exception as exc:  # a corrupt or hostile file can fail in many ways
        raise ArtefactError(f"cannot load model.skops: {exc}") from exc
