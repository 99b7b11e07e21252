"""Redis Streams, the delivery channel: idempotent publishing, consumer-group claims with
reclaiming of stale entries, acknowledgement, dead letters, and the dispatcher wake-up."""

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)

STREAM_PREFIX = "triage:wg:"
CONSUMER_GROUP = "coordinators"
WAKE_KEY = "triage:dispatch:wake"
# How many XAUTOCLAIM pages one claim scans for orphans before reading new ones.
MAX_RECLAIM_PAGES = 5
# An entry delivered by a claim whose database update never committed has no deadline in the
# database; it is reclaimed once idle this long (the longest visibility timeout allowed).
ORPHAN_IDLE_MS = 86_400_000

# XADD only when this request was never published to this stream: a dispatcher that dies
# between XADD and marking its outbox row gets the first entry's id back on its next try.
PUBLISH_ONCE = """
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return existing end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
"""

# Move an entry to the dead-letter stream only if this call is the one that acknowledges it,
# so repeating the move after a failure never copies it twice.
DEAD_LETTER_ONCE = """
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3)) end
return acked
"""


# Retire one page of acknowledged entries: drop each request's published mark if it still
# names this entry (a request published again since has a newer one), then trim the stream
# below the page's end.
RETIRE_PAGE = """
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
"""


def stream_name(working_group_id: str) -> str:
    return f"{STREAM_PREFIX}{working_group_id}"


def published_key(working_group_id: str) -> str:
    return f"{STREAM_PREFIX}{working_group_id}:published"


def dead_letter_key(working_group_id: str) -> str:
    return f"{STREAM_PREFIX}{working_group_id}:dead"


def entry_fields(payload: dict[str, Any], *, assignment_id: str) -> dict[str, str]:
    """Stream fields from an outbox payload: lists as JSON, booleans as true/false."""
    fields: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, list | dict):
            fields[key] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            fields[key] = "true" if value else "false"
        else:
            fields[key] = "" if value is None else str(value)
    fields["assignment_id"] = assignment_id
    return fields


@dataclass(frozen=True)
class Publication:
    working_group_id: str
    request_id: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Delivered:
    """A stream entry handed to a consumer, with how often it has been delivered so far."""

    entry_id: str
    fields: dict[str, str]
    times_delivered: int


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _field(fields: dict[Any, Any] | None, name: str) -> str:
    for key, value in (fields or {}).items():
        if _text(key) == name:
            return _text(value)
    return ""


def _parse_id(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def _format_id(entry_id: tuple[int, int]) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


class StreamQueue:
    """The working groups' streams on one Redis client (which raises RedisError when down)."""

    def __init__(self, client: "redis.Redis") -> None:
        self.client = client
        self._publish = client.register_script(PUBLISH_ONCE)
        self._dead_letter = client.register_script(DEAD_LETTER_ONCE)
        self._retire_page = client.register_script(RETIRE_PAGE)
        self._groups: set[str] = set()

    def publish(self, items: Sequence[Publication]) -> list[str]:
        """Publish in one round trip; returns each item's entry id (the first one if repeated)."""
        pipe = self.client.pipeline(transaction=False)
        for item in items:
            flat = [part for pair in item.fields.items() for part in pair]
            self._publish(
                keys=[stream_name(item.working_group_id), published_key(item.working_group_id)],
                args=[item.request_id, *flat],
                client=pipe,
            )
        return [_text(entry_id) for entry_id in pipe.execute()]

    def missing(self, working_group_id: str, entry_ids: Sequence[str]) -> set[str]:
        """Which of these entry ids the group's stream no longer holds (Redis lost them)."""
        pipe = self.client.pipeline(transaction=False)
        for entry_id in entry_ids:
            pipe.xrange(stream_name(working_group_id), entry_id, entry_id)
        return {
            entry_id for entry_id, found in zip(entry_ids, pipe.execute(), strict=True) if not found
        }

    def forget(self, working_group_id: str, request_ids: Sequence[str]) -> None:
        """Drop the published marks of these requests, so publishing them adds new entries."""
        if request_ids:
            self.client.hdel(published_key(working_group_id), *request_ids)

    def retire(self, working_group_id: str, *, before_ms: int, page: int = 500) -> int:
        """Remove the group's acknowledged entries older than `before_ms` (Unix ms), with
        their published marks; returns how many went.

        Only entries every consumer group has been handed and has acknowledged go:
        everything from a group's oldest pending entry, or after the last one it was handed,
        stays (so a group another system left behind holds the stream until it is removed). An
        acknowledged entry is settled in the database first, so no reconciliation publishes
        it again. Without this a stream, and its published marks, grow with every request
        ever dispatched.
        """
        stream = stream_name(working_group_id)
        bound = self._retire_bound(stream, before_ms)
        if bound is None:
            return 0
        retired = 0
        while True:
            entries: list[tuple[Any, Any]] = (
                self.client.xrange(stream, "-", f"({_format_id(bound)}", count=page) or []
            )
            if not entries:
                return retired
            # Trimmed below the next id after the page's last: exactly this page goes.
            last = _parse_id(_text(entries[-1][0]))
            marks = [
                part
                for entry_id, fields in entries
                for part in (_field(fields, "request_id"), _text(entry_id))
            ]
            retired += int(
                self._retire_page(
                    keys=[stream, published_key(working_group_id)],
                    args=[_format_id((last[0], last[1] + 1)), *marks],
                )
            )
            if len(entries) < page:
                return retired

    def _retire_bound(self, stream: str, before_ms: int) -> tuple[int, int] | None:
        """The id below which every entry of `stream` is older than `before_ms` and
        acknowledged by every consumer group reading it (ours, and any other system's);
        None when nothing can go (no stream, or no group yet)."""
        try:
            groups = self.client.xinfo_groups(stream)
        except redis.ResponseError:
            return None  # no such stream
        if not any(_text(g["name"]) == CONSUMER_GROUP for g in groups):
            return None
        bounds = [(before_ms, 0)]
        for group in groups:
            last = _parse_id(_text(group["last-delivered-id"]))
            bounds.append((last[0], last[1] + 1))
            if int(group["pending"]):
                oldest = self.client.xpending(stream, _text(group["name"]))["min"]
                if oldest is not None:
                    bounds.append(_parse_id(_text(oldest)))
        return min(bounds)

    def _ensure_group(self, stream: str, *, force: bool = False) -> None:
        if stream in self._groups and not force:
            return
        try:
            self.client.xgroup_create(stream, CONSUMER_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(stream)

    def claim(
        self,
        working_group_id: str,
        *,
        consumer: str,
        count: int,
        expired: Sequence[str] = (),
        orphan_idle_ms: int = ORPHAN_IDLE_MS,
    ) -> list[Delivered]:
        """Up to `count` entries for `consumer`: first the `expired` ones (whose claim the
        database says has lapsed), then orphans (delivered, but whose claim was never
        recorded, idle longer than `orphan_idle_ms`), then new ones. Each comes with its
        delivery count; expired ids no longer pending are left out."""
        stream = stream_name(working_group_id)
        self._ensure_group(stream)
        try:
            entries = self._read(stream, consumer, count, expired, orphan_idle_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost the group (a restart without persistence): make it again, once.
            self._ensure_group(stream, force=True)
            entries = self._read(stream, consumer, count, expired, orphan_idle_ms)
        if not entries:
            return []
        pipe = self.client.pipeline(transaction=False)
        for entry_id, _ in entries:
            pipe.xpending_range(stream, CONSUMER_GROUP, min=entry_id, max=entry_id, count=1)
        counts = [rows[0]["times_delivered"] if rows else 1 for rows in pipe.execute()]
        return [
            Delivered(
                entry_id=_text(entry_id),
                fields={_text(k): _text(v) for k, v in fields.items()},
                times_delivered=int(times),
            )
            for (entry_id, fields), times in zip(entries, counts, strict=True)
        ]

    def _read(
        self, stream: str, consumer: str, count: int, expired: Sequence[str], orphan_idle_ms: int
    ) -> list[tuple[Any, dict[Any, Any]]]:
        entries: list[tuple[Any, dict[Any, Any]]] = []
        if expired:
            # XCLAIM moves only entries still pending, and counts the delivery.
            taken: Any = self.client.xclaim(
                stream, CONSUMER_GROUP, consumer, min_idle_time=0, message_ids=list(expired)
            )
            entries += [(entry_id, fields) for entry_id, fields in taken if fields]
        cursor: Any = "0-0"
        for _ in range(MAX_RECLAIM_PAGES):
            if len(entries) >= count:
                break
            cursor, claimed, *_ = self.client.xautoclaim(
                stream,
                CONSUMER_GROUP,
                consumer,
                min_idle_time=orphan_idle_ms,
                start_id=cursor,
                count=count - len(entries),
            )
            entries += [(entry_id, fields) for entry_id, fields in claimed if fields]
            if _text(cursor) == "0-0":
                break
        if len(entries) < count:
            response: Any = self.client.xreadgroup(
                CONSUMER_GROUP, consumer, {stream: ">"}, count=count - len(entries)
            )
            for _, fresh in response or []:
                entries += fresh
        return entries

    def ack(self, working_group_id: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            self.client.xack(stream_name(working_group_id), CONSUMER_GROUP, *entry_ids)

    def dead_letter(self, working_group_id: str, entries: Sequence[Delivered]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for entry in entries:
            extra = {
                **entry.fields,
                "original_id": entry.entry_id,
                "times_delivered": str(entry.times_delivered),
            }
            flat = [part for pair in extra.items() for part in pair]
            self._dead_letter(
                keys=[stream_name(working_group_id), dead_letter_key(working_group_id)],
                args=[CONSUMER_GROUP, entry.entry_id, *flat],
                client=pipe,
            )
        pipe.execute()


def wake(client: "redis.Redis | None") -> None:
    """Nudge a waiting dispatcher after a commit; best effort, polling covers a lost nudge."""
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.lpush(WAKE_KEY, "1")
        pipe.ltrim(WAKE_KEY, 0, 0)
        pipe.execute()
    except redis.RedisError as exc:
        log.debug("dispatcher wake-up not sent: %s", type(exc).__name__)


class Nudge:
    """Wakes the dispatchers after a commit, at most once per `interval` from this process.

    Under load a wake-up per request would cost a Redis round trip each while the
    dispatcher gathers the rows in one batch anyway; a request whose wake-up is skipped is
    picked up by the next wake-up or poll, within the dispatcher's poll interval.
    """

    def __init__(self, client: "redis.Redis | None", *, interval: float) -> None:
        self.client = client
        self.interval = interval
        self._last = -interval

    def due(self) -> bool:
        return self.client is not None and time.monotonic() - self._last >= self.interval

    def __call__(self) -> None:
        self._last = time.monotonic()
        wake(self.client)
