"""Per-portal-key rate limits, shared across replicas through Redis when it is configured."""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.errors import RateLimited

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, rule: str, redis_url: str | None) -> None:
        self.item: RateLimitItem = parse(rule)
        storage = storage_from_string(redis_url or "memory://")
        assert isinstance(storage, Storage)  # a sync URL scheme gives a sync storage
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(self.storage)

    def check(self, key: str) -> None:
        """Count one call for `key`; raise RateLimited with Retry-After when over the limit.

        If the shared store is down, calls are let through: refusing every portal because
        the limiter cannot count would be worse than not limiting for a while.
        """
        try:
            allowed = self.strategy.hit(self.item, "portal", key)
            if allowed:
                return
            reset_at, _ = self.strategy.get_window_stats(self.item, "portal", key)
        except Exception:
            log.warning("rate-limit store unavailable; letting the call through", exc_info=True)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"rate limit of {self.item} exceeded for this key",
            headers={"Retry-After": str(retry_after)},
        )
