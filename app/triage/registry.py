"""The model registry: versions on disk, one active, promotion guarded by validation quality."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.errors import AppError, Conflict, NotFound
from app.triage.models import ModelVersion


class ModelUnavailable(AppError):
    status_code = 503
    code = "model_unavailable"


class PromotionRefused(Conflict):
    code = "promotion_refused"


def _validation_top1(card: dict[str, Any]) -> float | None:
    metrics = card.get("validation_metrics") or {}
    value = metrics.get("area_top1")
    return float(value) if value is not None else None


def read_card(directory: Path) -> dict[str, Any]:
    """The model card saved beside an artefact (its checksum is verified when it loads)."""
    card: dict[str, Any] = json.loads((directory / "card.json").read_text(encoding="utf-8"))
    return card


def newest_model_folder(directory: Path) -> Path:
    """`directory` itself if it holds a card, else its newest sub-folder that does."""
    if (directory / "card.json").exists():
        return directory
    folders = sorted(
        (p.parent for p in directory.glob("*/card.json")),
        key=lambda p: read_card(p).get("created_at", ""),
    )
    if not folders:
        raise FileNotFoundError(f"no model (card.json) in {directory}")
    return folders[-1]


def register(
    session: Session,
    *,
    directory: Path,
    card: dict[str, Any],
    model_dir: Path,
    activate: bool = False,
) -> ModelVersion:
    """Record a saved artefact; the path is stored relative to the model directory."""
    try:
        path = str(directory.resolve().relative_to(model_dir.resolve()))
    except ValueError:
        path = str(directory.resolve())
    row = ModelVersion(
        version=card["version"],
        path=path,
        sha256=card["sha256"],
        card=card,
        validation_top1=_validation_top1(card),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="model.registered",
        actor_type="system",
        details={"version": row.version, "sha256": row.sha256},
    )
    if activate:
        _activate(session, row)
    session.commit()
    return row


def _activate(session: Session, row: ModelVersion) -> None:
    session.execute(
        update(ModelVersion).where(ModelVersion.is_active.is_(True)).values(is_active=False)
    )
    row.is_active = True
    row.activated_at = utcnow()
    audit.record(
        session, action="model.activated", actor_type="system", details={"version": row.version}
    )


def active(session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.is_active.is_(True)))


def get(session: Session, version: str) -> ModelVersion:
    row = session.get(ModelVersion, version)
    if row is None:
        raise NotFound(f"no model version {version!r}")
    return row


def versions(session: Session) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc())))


def promote(session: Session, version: str, *, force: bool = False) -> ModelVersion:
    """Make `version` active unless it measures worse than the active one on validation."""
    row = get(session, version)
    current = active(session)
    if current is not None and current.version != version and not force:
        new, old = row.validation_top1, current.validation_top1
        if new is None:
            raise PromotionRefused(f"{version} has no validation metrics; evaluate it first")
        if old is not None and new < old:
            raise PromotionRefused(
                f"{version} scores area top-1 {new:.3f} on validation, below the active "
                f"{current.version} ({old:.3f}); use --force to override"
            )
    _activate(session, row)
    session.commit()
    return row


def resolve_path(row: ModelVersion, model_dir: Path) -> Path:
    path = Path(row.path)
    return path if path.is_absolute() else model_dir / path
