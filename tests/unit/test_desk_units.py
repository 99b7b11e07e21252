"""Desk logic without I/O: term highlighting, the sign-in token, redirects, job output."""

from datetime import timedelta

import pytest

from app.desk import highlight, signin
from app.desk.jobrunner import _apply
from app.desk.labels import Labels
from app.desk.models import DeskJob
from app.desk.queue import Cursor, _sla
from app.errors import InvalidInput

SECRET = "unit-test-secret-key-of-enough-length"


def _marked(text: str, terms: list[str]) -> list[str]:
    return [s.text for s in highlight.segments(text, terms) if s.term]


def test_segments_rebuild_the_text_exactly() -> None:
    text = "Training <b>prosecutors</b> & judges on foreign terrorist fighters."
    segments = highlight.segments(text, ["prosecutors", "foreign terrorist", "fighters"])
    assert "".join(s.text for s in segments) == text


def test_terms_match_whole_words_regardless_of_case() -> None:
    assert _marked("Prosecutors and prosecution", ["prosecutors"]) == ["Prosecutors"]
    assert _marked("the prosecutorsXYZ", ["prosecutors"]) == []


def test_a_pair_wins_over_its_words() -> None:
    text = "returning Foreign  Terrorist fighters"
    assert _marked(text, ["foreign", "foreign terrorist"]) == ["Foreign  Terrorist"]


def test_arabic_terms_match_every_spelling_normalisation_folds() -> None:
    text = "تدريب القضاة على التعامل مع الأطفال المجنَّدين"
    assert _marked(text, ["الاطفال", "المجندين"]) == ["الأطفال", "المجنَّدين"]


def test_chinese_terms_match_inside_running_text() -> None:
    assert _marked("请求协助培训边境管理人员", ["边境"]) == ["边境"]


def test_markup_in_the_text_stays_plain_text() -> None:
    segments = highlight.segments("<script>alert(1)</script> terrorist", ["terrorist"])
    assert segments[0].text == "<script>alert(1)</script> "
    assert segments[0].term is None


def test_the_login_token_signs_the_cookie_value() -> None:
    nonce = signin.new_nonce()
    token = signin.form_token(SECRET, nonce)
    assert signin.token_matches(SECRET, cookie=nonce, token=token)
    assert not signin.token_matches(SECRET, cookie=signin.new_nonce(), token=token)
    assert not signin.token_matches(
        "another-secret-key-of-enough-length", cookie=nonce, token=token
    )
    assert not signin.token_matches(SECRET, cookie=nonce, token=None)
    assert not signin.token_matches(SECRET, cookie=nonce, token=nonce)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/desk/requests/abc", "/desk/requests/abc"),
        ("/dashboards/monthly?month=2026-01", "/dashboards/monthly?month=2026-01"),
        ("//evil.example/desk/", "/desk/queue"),
        ("https://evil.example/", "/desk/queue"),
        ("/desk/\\evil", "/desk/queue"),
        ("/api/v1/requests", "/desk/queue"),
        (None, "/desk/queue"),
    ],
)
def test_sign_in_only_returns_to_desk_pages(target: str | None, expected: str) -> None:
    assert signin.safe_next(target) == expected


def test_a_tampered_cursor_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Cursor.decode("bm90IGEgY3Vyc29y")


def test_the_age_badge_follows_the_working_groups_limit() -> None:
    assert _sla("needs_review", (24, 72), timedelta(hours=1)) == ("ok", 24)
    assert _sla("needs_review", (24, 72), timedelta(hours=20)) == ("warn", 24)
    assert _sla("triaged", (24, 72), timedelta(hours=30)) == ("bad", 24)
    assert _sla("dispatched", (24, 72), timedelta(hours=30)) == ("ok", 96)
    assert _sla("completed", (24, 72), timedelta(days=30)) == ("", None)


def test_an_override_changes_the_areas_or_the_scope() -> None:
    model = Labels(areas=("ftf", "evidence"), paragraphs=(13,), working_group="cj-cft")
    assert not Labels(areas=("evidence", "ftf"), paragraphs=(6,)).overrides(model)
    assert Labels(areas=("ftf",)).overrides(model)
    assert Labels(out_of_scope=True).overrides(model)


def test_the_runner_folds_progress_lines_into_the_job() -> None:
    job = DeskJob(kind="train", args={}, output="", progress=0.0)
    _apply(job, '{"step": "fitting areas", "progress": 0.4}')
    _apply(job, "plain output")
    _apply(job, '{"done": true, "version": "v2", "activated": false}')
    assert (job.step, job.progress) == ("fitting areas", 0.4)
    assert job.output == "plain output\n"
    assert job.result == {"version": "v2", "activated": False}
