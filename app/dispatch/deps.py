"""Dependencies of the working-group API: the caller's working-group key and the queue."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.db import SessionDep
from app.dispatch import keys
from app.dispatch.models import WorkingGroupKey
from app.dispatch.streams import StreamQueue

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="WorkingGroupKey",
    description="Working-group API key (twk_...), bound to one working group",
)


def current_working_group(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> WorkingGroupKey:
    return keys.authenticate(session, credentials.credentials if credentials else None)


def stream_queue(request: Request) -> StreamQueue | None:
    """The working groups' streams when Redis is configured; None in embedded mode."""
    state = request.app.state
    if getattr(state, "redis", None) is None:
        return None
    queue: StreamQueue | None = getattr(state, "stream_queue", None)
    if queue is None or queue.client is not state.redis:
        queue = StreamQueue(state.redis)
        state.stream_queue = queue
    return queue


CurrentWorkingGroup = Annotated[WorkingGroupKey, Depends(current_working_group)]
StreamQueueDep = Annotated[StreamQueue | None, Depends(stream_queue)]
