"""The `triage` command as an operator runs it: a fresh process on a fresh database."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path: Path, trained_model_dir: Path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TRIAGE_MODEL_DIR": str(tmp_path / "models"),
    }

    def triage(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"triage {' '.join(args)} failed:\n{result.stderr}")
        return result

    triage("migrate")
    return triage


def test_create_api_key_prints_the_key_alone_on_the_last_line(run) -> None:  # type: ignore[no-untyped-def]
    out = run("create-api-key", "--state", "KEN", "--name", "Kenya portal").stdout
    last = out.strip().splitlines()[-1]
    assert last.startswith("tak_")
    assert " " not in last


def test_create_api_key_refuses_an_unknown_state(run) -> None:  # type: ignore[no-untyped-def]
    result = run("create-api-key", "--state", "XYZ", check=False)
    assert result.returncode == 2
    assert "unknown" in result.stderr


def test_create_user_refuses_duplicates_and_missing_password(run) -> None:  # type: ignore[no-untyped-def]
    run("create-user", "--username", "amina", "--role", "officer", "--password", "long enough pw")
    again = run(
        "create-user",
        "--username",
        "amina",
        "--role",
        "admin",
        "--password",
        "long enough pw",
        check=False,
    )
    assert again.returncode == 2
    no_tty = run("create-user", "--username", "li", "--role", "officer", check=False)
    assert no_tty.returncode == 2
    bad_role = run(
        "create-user",
        "--username",
        "li",
        "--role",
        "root",
        "--password",
        "long enough pw",
        check=False,
    )
    assert bad_role.returncode == 2


def test_seed_demo_prints_credentials_only_the_first_time(run) -> None:  # type: ignore[no-untyped-def]
    first = run("seed-demo").stdout
    assert "demo desk admin" in first
    assert "demo portal key" in first
    second = run("seed-demo").stdout
    assert "demo" not in second


def test_register_activates_a_model_and_promote_checks_versions(  # type: ignore[no-untyped-def]
    run, trained_model_dir: Path
) -> None:
    out = run("register", str(trained_model_dir), "--activate").stdout
    assert "active" in out
    assert run("promote", "no-such-version", check=False).returncode == 2
    report = run("evaluate").stdout
    assert "area top-1" in report.lower()


def test_register_activate_if_none_never_replaces_the_active_model(  # type: ignore[no-untyped-def]
    run, trained_model_dir: Path, tmp_path: Path
) -> None:
    first = run("register", str(trained_model_dir), "--activate-if-none").stdout
    assert "registered and active" in first
    # The next image's model: another version, registered but left inactive.
    newer = tmp_path / "newer"
    shutil.copytree(trained_model_dir, newer)
    card = json.loads((newer / "card.json").read_text())
    card["version"] = card["version"] + "-next"
    (newer / "card.json").write_text(json.dumps(card))
    second = run("register", str(newer), "--activate-if-none").stdout
    assert "registered" in second
    assert "active" not in second


def test_republish_without_redis_says_there_is_nothing_to_reconcile(run) -> None:  # type: ignore[no-untyped-def]
    assert "nothing to reconcile" in run("republish").stdout


def test_train_if_missing_replaces_a_model_of_an_older_artefact_format(  # type: ignore[no-untyped-def]
    run, trained_model_dir: Path, tmp_path: Path
) -> None:
    run("register", str(trained_model_dir), "--activate")
    assert "nothing to do" in run("train", "--if-missing").stdout
    database = sqlite3.connect(tmp_path / "cli.db")
    with database:  # as a model saved by an earlier version of the service
        database.execute("UPDATE model_versions SET card = json_set(card, '$.format', 1)")
    database.close()
    out = run("train", "--if-missing").stdout
    assert "older artefact format" in out
    assert ": active;" in out
