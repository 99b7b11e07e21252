"""What an officer's decision leaves behind: the review (labels before and after, and the
model's own) and, for a labelling decision, the request's training example."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.sessions import DeskIdentity
from app.db import utcnow
from app.desk.labels import Labels, model_labels
from app.desk.models import Review, ReviewAction
from app.intake import service as intake_service
from app.intake.models import AssistanceRequest, Attachment
from app.triage.models import TrainingExample, TriageResult


def triage_of(session: Session, request: AssistanceRequest) -> TriageResult | None:
    if request.current_triage_id is None:
        return None
    return session.get(TriageResult, request.current_triage_id)


def _example_text(session: Session, request: AssistanceRequest) -> str:
    """The text the classifier saw: title, body and the attachments' text."""
    files = session.scalars(
        select(Attachment.extracted_text)
        .where(Attachment.request_id == request.id)
        .order_by(Attachment.created_at)
    ).all()
    parts = [request.title or "", request.body, *files]
    return "\n\n".join(p for p in parts if p)[: intake_service.MAX_CLASSIFIED_CHARS]


def record(
    session: Session,
    request: AssistanceRequest,
    *,
    action: ReviewAction,
    before: Labels,
    after: Labels,
    identity: DeskIdentity,
) -> Review:
    """The review row and, for a labelling decision, the new training example (the request's
    older example is superseded, so training sees only the newest decision)."""
    result = triage_of(session, request)
    model = model_labels(result)
    review = Review(
        request_id=request.id,
        reviewer_id=identity.user.id,
        reviewer=identity.user.username,
        action=action.value,
        language=request.language,
        model_version=result.model_version if result else None,
        model_decision=result.decision if result else None,
        model_area=model.areas[0] if model.areas else None,
        model_labels=model.as_dict(),
        before=before.as_dict(),
        after=after.as_dict(),
        overridden=after.overrides(model) if result else False,
    )
    session.add(review)
    if action is ReviewAction.DUPLICATE:
        return review
    now = utcnow()
    session.execute(
        update(TrainingExample)
        .where(TrainingExample.request_id == request.id, TrainingExample.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    agrees = not after.overrides(model) and set(after.paragraphs) == set(model.paragraphs)
    source = "confirmation" if action is ReviewAction.CONFIRM or agrees else "correction"
    session.add(
        TrainingExample(
            request_id=request.id,
            language=request.language,
            text=_example_text(session, request),
            areas=list(after.areas),
            paragraphs=list(after.paragraphs),
            source=source,
            created_by=identity.user.username,
            created_at=now,
        )
    )
    return review
