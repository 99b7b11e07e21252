"""Training, evaluating and promoting models from the CLI (never inside the web process)."""

import hashlib
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import ml
from app.catalogue.loader import Catalogue
from app.triage import registry
from app.triage.models import ModelVersion, TrainingExample
from ml import artefact
from ml import train as ml_train
from ml.artefact import FORMAT as FORMAT  # the artefact format this version reads and writes
from ml.classifier import Classifier
from ml.corpus import Example, load_jsonl, load_split
from ml.evaluate import evaluate, format_report
from ml.labels import AreaLabel, LabelSpace

Progress = Callable[[str, float], None]
OUT_OF_SCOPE = "out-of-scope"


def feedback_examples(session: Session) -> list[Example]:
    """Desk officers' current labels (the newest per request) as training examples."""
    rows = session.scalars(
        select(TrainingExample)
        .where(TrainingExample.superseded_at.is_(None))
        .order_by(TrainingExample.created_at)
    )
    return [
        Example(
            id=f"desk-{row.id}",
            language=row.language or "",
            text=row.text,
            areas=tuple(row.areas) or (OUT_OF_SCOPE,),
            paragraphs=tuple(row.paragraphs),
            form="desk",
            sender="",
            provenance=f"desk {row.source} by {row.created_by}",
        )
        for row in rows
    ]


def label_space(catalogue: Catalogue) -> LabelSpace:
    return LabelSpace(
        areas=tuple(
            AreaLabel(
                id=a.id,
                name=a.name,
                paragraphs=a.paragraphs,
                keywords={lang: tuple(words) for lang, words in a.keywords.items()},
            )
            for a in catalogue.areas
        ),
        paragraph_summaries={p.number: p.summary for p in catalogue.paragraphs},
    )


@dataclass(frozen=True)
class TrainingOutcome:
    row: ModelVersion
    activated: bool
    report: str
    feedback_examples: int


def train_and_register(
    session: Session,
    *,
    catalogue: Catalogue,
    model_dir: Path,
    progress: Progress | None = None,
    activate: str = "if-none",
) -> TrainingOutcome:
    """Train on the corpus, keyword examples and desk feedback; measure on validation; register.

    `activate`: "if-none" activates only the first model, "promote" applies the promotion
    guard, "never" only registers.
    """
    space = label_space(catalogue)
    feedback = feedback_examples(session)
    session.commit()
    model = ml_train.train(load_split("train"), space, feedback=feedback, progress=progress)
    validation = load_split("validation")
    metrics = evaluate(model, validation) if validation else None
    card = artefact.save(model, model_dir / model.version, validation_metrics=metrics)
    current = registry.active(session)
    row = registry.register(
        session,
        directory=model_dir / model.version,
        card=card,
        model_dir=model_dir,
        activate=activate == "if-none" and current is None,
    )
    activated = row.is_active
    if activate == "promote" and not activated:
        registry.promote(session, row.version)
        activated = True
    return TrainingOutcome(
        row=row,
        activated=activated,
        report=format_report(metrics) if metrics else "",
        feedback_examples=len(feedback),
    )


def evaluate_version(
    session: Session, *, model_dir: Path, version: str | None, data: Path | None
) -> tuple[str, dict[str, Any]]:
    row = registry.get(session, version) if version else registry.active(session)
    if row is None:
        raise registry.ModelUnavailable("no active model: run `triage train`")
    classifier = Classifier.load(registry.resolve_path(row, model_dir), expected_sha256=row.sha256)
    examples = load_jsonl(data) if data else load_split("validation")
    metrics = evaluate(classifier, examples)
    return row.version, metrics


def inputs_fingerprint() -> str:
    """A hash of everything a trained model depends on: ml code, corpus and catalogue."""
    root = Path(ml.__file__).resolve().parent
    catalogue_file = Path(__file__).resolve().parent.parent / "catalogue" / "catalogue.yaml"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")) + sorted(root.rglob("*.jsonl")) + [catalogue_file]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_model(cache_root: Path, catalogue: Catalogue) -> Path:
    """A model trained on the corpus alone, reused while its inputs are unchanged (tests, bench)."""
    target = cache_root / f"model-{inputs_fingerprint()}"
    if (target / "card.json").exists():
        return target
    _prune(cache_root, keep=target)
    model = ml_train.train(load_split("train"), label_space(catalogue))
    tmp = cache_root / f".{target.name}.{secrets.token_hex(4)}"
    artefact.save(model, tmp, validation_metrics=evaluate(model, load_split("validation")))
    try:
        tmp.rename(target)
    except OSError:
        # Another process finished the same model first; theirs is as good as ours.
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _prune(cache_root: Path, *, keep: Path, older_than_seconds: float = 3600) -> None:
    """Drop cached models of earlier inputs that nothing has touched for an hour."""
    if not cache_root.exists():
        return
    cutoff = time.time() - older_than_seconds
    for folder in cache_root.glob("model-*"):
        if folder != keep and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
