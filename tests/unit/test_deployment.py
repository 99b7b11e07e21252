"""The container deployment: the compose file validates and the image runs unprivileged."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if shutil.which("docker")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return ["docker", "compose"]
    pytest.skip("neither docker-compose nor the docker compose plugin is installed")


def test_compose_file_validates() -> None:
    env = {**os.environ, "POSTGRES_PASSWORD": "example", "TRIAGE_SECRET_KEY": "k" * 40}
    result = subprocess.run(
        [*_compose(), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_two_api_replicas_two_dispatchers_and_a_migration_job() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "migrate", "api", "dispatcher"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["dispatcher"]["deploy"]["replicas"] == 2
    assert services["api"]["environment"]["TRIAGE_ENVIRONMENT"] == "production"


def test_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dockerfile.count("\nFROM ")
    assert stages >= 2  # multi-stage: a build stage and a runtime stage
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "\nUSER triage" in runtime
    assert "HEALTHCHECK" in runtime


def test_redis_keeps_every_acknowledged_stream_entry_across_a_crash() -> None:
    redis = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
