"""Redis clients from TRIAGE_REDIS_URL: one server, or the master a Sentinel group names.

`redis://`, `rediss://` and `unix://` URLs are read by redis-py. For Sentinel, the URL names
the sentinels and the monitored service, in the form the rate limiter's library reads too:

    redis+sentinel://[:password@]host:port[,host:port...]/service[/db]

The client asks the sentinels for the current master on every new connection, so after a
failover the next command reaches the promoted replica.
"""

from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"
DEFAULT_SENTINEL_PORT = 26379


def connect(url: str, **options: Any) -> redis.Redis:
    """A client for `url`; `options` (timeouts, retries) apply to every connection it makes."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return redis.Redis.from_url(url, **options)
    credentials, _, hosts = parts.netloc.rpartition("@")
    password = (unquote(credentials.partition(":")[2]) or None) if credentials else None
    sentinels = [_host_port(item) for item in hosts.split(",") if item]
    path = [p for p in parts.path.split("/") if p]
    if not sentinels or not path or len(path) > 2:
        raise ValueError("a Sentinel URL reads redis+sentinel://host:port[,host:port]/service[/db]")
    service, db = path[0], int(path[1]) if len(path) == 2 else 0
    sentinel_options = {
        k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")
    }
    group = Sentinel(  # type: ignore[no-untyped-call]
        sentinels,
        sentinel_kwargs={**sentinel_options, "password": password},
        password=password,
        **sentinel_options,
    )
    client: redis.Redis = group.master_for(service, db=db, **options)  # type: ignore[no-untyped-call]
    return client


def _host_port(item: str) -> tuple[str, int]:
    host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
    return host.strip("[]"), int(port) if port else DEFAULT_SENTINEL_PORT
