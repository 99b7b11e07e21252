"""Similar requests: near duplicates across languages and States, and requests on the same theme
from the same region in the same 90 days (a hint for a joint regional activity).

Near duplicates combine two signals. The classifier's probability profile over every area and
paragraph (the correlation of their log-odds) survives translation: the same request in French
and in Arabic gets the same profile. Character n-gram TF-IDF on normalised text catches the
same wording sent twice, by one State or on behalf of several. Candidates are the requests on
the same primary area received nearest to this one (within a year), so the cost does not grow
with the table.
"""

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.db import utcnow
from app.intake.models import AssistanceRequest, RequestStatus
from app.triage.models import TriageResult
from ml.text import normalize

AR = AssistanceRequest
FloatArray = npt.NDArray[np.float64]

NEAR_WINDOW = timedelta(days=365)
CANDIDATES_BEFORE = 60
CANDIDATES_AFTER = 30
TEXT_CANDIDATES = 12
TEXT_CHARS = 1200
SHOWN = 5
# Translations share little wording, so the profile carries most of the weight; the same
# wording counts on its own. On hand-made en/fr/es translations of one request the profile
# scored 0.84-0.92; other requests on the same area about 0.5 or less.
PROFILE_WEIGHT = 0.8
MIN_SCORE = 0.5
# A pair scoring this high, or with this much shared wording, is flagged as a near duplicate.
DUPLICATE_SCORE = 0.65
DUPLICATE_TEXT = 0.7
CLUSTER_DAYS = 90
CLUSTER_SHOWN = 20
JOINT_ACTIVITY_STATES = 3
_EXCLUDED = (RequestStatus.DUPLICATE.value, RequestStatus.OUT_OF_SCOPE.value)


@dataclass(frozen=True)
class SimilarRequest:
    id: uuid.UUID
    reference: str
    state: str
    language: str | None
    status: str
    received_at: datetime
    score: float
    profile: float
    text: float

    @property
    def near_duplicate(self) -> bool:
        return self.score >= DUPLICATE_SCORE or self.text >= DUPLICATE_TEXT


@dataclass(frozen=True)
class ClusterMember:
    id: uuid.UUID
    reference: str
    state: str
    received_at: datetime
    status: str


@dataclass(frozen=True)
class RegionalCluster:
    area_id: str
    subregion: str
    region: str
    since: datetime
    until: datetime
    members: list[ClusterMember]
    subregion_states: list[str]
    subregion_count: int
    region_states: list[str]
    region_count: int

    @property
    def suggests_joint_activity(self) -> bool:
        return len(self.subregion_states) >= JOINT_ACTIVITY_STATES


def _vector(scores: dict[str, float], order: dict[str, int]) -> FloatArray:
    """Unit vector of the centred log-odds of every area and paragraph score."""
    vector = np.full(len(order), 0.5)
    known = [(order[k], v) for k, v in scores.items() if k in order and v is not None]
    if known:
        slots, values = zip(*known, strict=True)
        vector[list(slots)] = values
    clipped = np.clip(vector, 1e-4, 1 - 1e-4)
    logits = np.log(clipped / (1 - clipped))
    centred = logits - logits.mean()
    norm = float(np.linalg.norm(centred))
    out: FloatArray = centred / norm if norm > 0 else centred
    return out


def _profile(
    areas: list[dict[str, Any]], paragraphs: list[dict[str, Any]], order: dict[str, int]
) -> FloatArray:
    scores = {str(a.get("id")): float(a.get("score", 0.5)) for a in areas}
    scores |= {f"p{p.get('number')}": float(p.get("score", 0.5)) for p in paragraphs}
    return _vector(scores, order)


class ProfileCache:
    """Profiles by triage result id, kept in this process. Triage results are never updated
    (a re-triage adds a row), so an entry never goes stale; the oldest entries go first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[uuid.UUID, FloatArray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, FloatArray]:
        with self._lock:
            found = {i: self._items[i] for i in ids if i in self._items}
            for i in found:
                self._items.move_to_end(i)
        return found

    def put(self, ident: uuid.UUID, profile: FloatArray) -> None:
        with self._lock:
            self._items[ident] = profile
            self._items.move_to_end(ident)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


# About 0.5 KB an entry: a few MB per api process for the requests officers look at.
_profiles = ProfileCache(size=20_000)


def _scores(session: Session, ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, dict[str, float]]]:
    """Each triage result's scores by area id and by "p<number>"."""
    return [
        (
            ident,
            {str(a.get("id")): float(a.get("score", 0.5)) for a in areas}
            | {f"p{p.get('number')}": float(p.get("score", 0.5)) for p in paragraphs},
        )
        for ident, areas, paragraphs in session.execute(
            select(TriageResult.id, TriageResult.areas, TriageResult.paragraphs).where(
                TriageResult.id.in_(ids)
            )
        )
    ]


def _profiles_of(
    session: Session, triage_ids: list[uuid.UUID], order: dict[str, int]
) -> dict[uuid.UUID, FloatArray]:
    known = _profiles.get_many(triage_ids)
    missing = [i for i in triage_ids if i not in known]
    if missing:
        for ident, scores in _scores(session, missing):
            known[ident] = _vector(scores, order)
            _profiles.put(ident, known[ident])
    return known


def _text(title: str | None, body: str) -> str:
    return normalize(f"{title or ''}\n{body}")[:TEXT_CHARS]


def _text_similarity(reference: str, others: list[str]) -> FloatArray:
    if not others or not reference.strip():
        return np.zeros(len(others))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([reference, *others])
    except ValueError:  # nothing but blanks: no n-gram at all
        return np.zeros(len(others))
    scores = (matrix[1:] @ matrix[0].T).toarray().ravel()
    return np.asarray(scores, dtype=np.float64)


def near_duplicates(
    session: Session,
    request: AssistanceRequest,
    triage: TriageResult | None,
    *,
    catalogue: Catalogue,
) -> list[SimilarRequest]:
    """The most similar requests on the same primary area, best first; reads only."""
    area = request.primary_area or (triage.areas[0]["id"] if triage and triage.areas else None)
    if area is None or triage is None:
        return []
    order = {a: i for i, a in enumerate(catalogue.area_ids)}
    order |= {
        f"p{p.number}": len(catalogue.area_ids) + i for i, p in enumerate(catalogue.paragraphs)
    }
    mine = _profile(triage.areas, triage.paragraphs, order)
    columns = (
        AR.id,
        AR.reference,
        AR.requesting_state,
        AR.language,
        AR.status,
        AR.received_at,
        AR.current_triage_id,
    )
    same = (AR.primary_area == area, AR.id != request.id, AR.current_triage_id.is_not(None))
    # Duplicates arrive close together: the nearest requests before and after this one.
    rows = [
        *session.execute(
            select(*columns)
            .where(
                *same,
                AR.received_at <= request.received_at,
                AR.received_at >= request.received_at - NEAR_WINDOW,
            )
            .order_by(AR.received_at.desc())
            .limit(CANDIDATES_BEFORE)
        ),
        *session.execute(
            select(*columns)
            .where(
                *same,
                AR.received_at > request.received_at,
                AR.received_at <= request.received_at + NEAR_WINDOW,
            )
            .order_by(AR.received_at)
            .limit(CANDIDATES_AFTER)
        ),
    ]
    known = _profiles_of(session, [r[6] for r in rows if r[6] is not None], order)
    rows = [r for r in rows if r[6] is not None and r[6] in known]
    if not rows:
        return []
    profiles = np.array([known[r[6]] for r in rows if r[6] is not None])
    profile_scores = np.clip(profiles @ mine, 0.0, 1.0)
    best = np.argsort(-profile_scores, kind="stable")[:TEXT_CANDIDATES].tolist()
    chosen = [rows[i] for i in best]
    texts = {
        ident: _text(title, body)
        for ident, title, body in session.execute(
            select(AR.id, AR.title, func.substr(AR.body, 1, TEXT_CHARS)).where(
                AR.id.in_([r[0] for r in chosen])
            )
        )
    }
    text_scores = _text_similarity(
        _text(request.title, request.body), [texts.get(r[0], "") for r in chosen]
    )
    found = []
    for row, index, text_score in zip(chosen, best, text_scores.tolist(), strict=True):
        profile = float(profile_scores[index])
        score = max(text_score, PROFILE_WEIGHT * profile + (1 - PROFILE_WEIGHT) * text_score)
        if score < MIN_SCORE:
            continue
        found.append(
            SimilarRequest(
                id=row[0],
                reference=row[1],
                state=row[2],
                language=row[3],
                status=row[4],
                received_at=row[5],
                score=round(score, 3),
                profile=round(profile, 3),
                text=round(float(text_score), 3),
            )
        )
    found.sort(key=lambda s: (-s.score, s.reference))
    return found[:SHOWN]


def regional_cluster(
    session: Session, request: AssistanceRequest, *, catalogue: Catalogue
) -> RegionalCluster | None:
    """Requests on the same primary area from the same M49 sub-region (and region) received
    within 90 days of this one; reads only."""
    state = catalogue.state(request.requesting_state)
    if request.primary_area is None or state is None:
        return None
    since = request.received_at - timedelta(days=CLUSTER_DAYS)
    until = min(request.received_at + timedelta(days=CLUSTER_DAYS), utcnow())
    in_region = [s.iso3 for s in catalogue.states if s.region == state.region]
    in_subregion = [s.iso3 for s in catalogue.states if s.subregion == state.subregion]
    base = (
        AR.primary_area == request.primary_area,
        AR.received_at >= since,
        AR.received_at <= until,
        AR.status.not_in(_EXCLUDED),
    )
    region_rows = session.execute(
        select(AR.requesting_state, func.count())
        .where(*base, AR.requesting_state.in_(in_region))
        .group_by(AR.requesting_state)
    ).all()
    subregion = set(in_subregion)
    members = [
        ClusterMember(id=r[0], reference=r[1], state=r[2], received_at=r[3], status=r[4])
        for r in session.execute(
            select(AR.id, AR.reference, AR.requesting_state, AR.received_at, AR.status)
            .where(*base, AR.requesting_state.in_(in_subregion), AR.id != request.id)
            .order_by(AR.received_at.desc())
            .limit(CLUSTER_SHOWN)
        )
    ]
    return RegionalCluster(
        area_id=request.primary_area,
        subregion=state.subregion,
        region=state.region,
        since=since,
        until=until,
        members=members,
        subregion_states=sorted(code for code, _ in region_rows if code in subregion),
        subregion_count=sum(n for code, n in region_rows if code in subregion),
        region_states=sorted(code for code, _ in region_rows),
        region_count=sum(n for _, n in region_rows),
    )
