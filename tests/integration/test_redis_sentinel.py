"""TRIAGE_REDIS_URL may name a Sentinel group: the service follows the master across a failover.

A master, a replica and a sentinel of the test's own, on free loopback ports."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app.dispatch.streams import Publication, StreamQueue, stream_name
from app.errors import RateLimited
from app.ratelimit import RateLimiter
from app.redis_client import connect
from tests.integration.dispatch_support import free_port, wait_for

SERVICE = "triage"


class Node:
    def __init__(self, *args: str) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="triage-sentinel-"))
        self.args = args
        self.process = subprocess.Popen(
            [binary, *self._config(), "--port", str(self.port), "--bind", "127.0.0.1"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _config(self) -> list[str]:
        return ["--save", "", "--appendonly", "no", "--dir", str(self.dir), *self.args]

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class SentinelNode(Node):
    def __init__(self, master_port: int) -> None:
        self.master_port = master_port
        super().__init__()

    def _config(self) -> list[str]:
        config = Path(tempfile.mkdtemp(prefix="triage-sentinel-conf-")) / "sentinel.conf"
        config.write_text(
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 500\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        return [str(config), "--sentinel"]


@pytest.fixture
def group() -> Iterator[tuple[Node, Node, SentinelNode]]:
    master = Node()
    wait_for(lambda: _pings(master.client()), timeout=10, what="master")
    replica = Node("--replicaof", "127.0.0.1", str(master.port))
    wait_for(lambda: _in_sync(replica.client()), timeout=15, what="replica in sync")
    sentinel = SentinelNode(master.port)
    wait_for(lambda: _pings(sentinel.client()), timeout=10, what="sentinel")
    try:
        yield master, replica, sentinel
    finally:
        for node in (sentinel, replica, master):
            node.stop()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _in_sync(client: redis.Redis) -> bool:
    try:
        return client.info("replication").get("master_link_status") == "up"
    except redis.RedisError:
        return False


def _publishes(queue: StreamQueue, request_id: str) -> bool:
    try:
        queue.publish([Publication("cj-cft", request_id, {"request_id": request_id})])
    except redis.RedisError:
        return False
    return True


def test_a_sentinel_url_reaches_the_master_and_follows_a_failover(
    group: tuple[Node, Node, SentinelNode],
) -> None:
    master, replica, sentinel = group
    url = f"redis+sentinel://127.0.0.1:{sentinel.port}/{SERVICE}/0"
    client = connect(url, socket_timeout=2, socket_connect_timeout=1)
    queue = StreamQueue(client)
    queue.publish([Publication("cj-cft", "before", {"request_id": "before"})])
    assert master.client().xlen(stream_name("cj-cft")) == 1
    # Replication is asynchronous: the write must reach the replica before the master dies,
    # or the failover loses it (the dispatchers' reconciliation covers that case).
    assert master.client().wait(1, 5000) == 1

    master.stop()
    # Sentinel sees the master down after 500 ms and promotes the replica.
    wait_for(lambda: _publishes(queue, "after"), timeout=30, what="a write after failover")
    promoted = replica.client()
    assert promoted.info("replication")["role"] == "master"
    ids = [fields[b"request_id"] for _, fields in promoted.xrange(stream_name("cj-cft"))]
    assert ids == [b"before", b"after"]
    client.close()


def test_rate_limits_count_through_the_same_sentinel_url(
    group: tuple[Node, Node, SentinelNode],
) -> None:
    _, _, sentinel = group
    limiter = RateLimiter("2/minute", f"redis+sentinel://127.0.0.1:{sentinel.port}/{SERVICE}")
    limiter.check("portal-1")
    limiter.check("portal-1")
    with pytest.raises(RateLimited):
        limiter.check("portal-1")


def test_a_malformed_sentinel_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="service"):
        connect("redis+sentinel://127.0.0.1:26379")
