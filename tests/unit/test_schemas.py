"""The submission schema: what a portal may send, checked before anything else runs."""

import pytest
from pydantic import ValidationError

from app.intake.schemas import AssistanceRequestCreate


def _make(**fields: object) -> AssistanceRequestCreate:
    return AssistanceRequestCreate.model_validate(
        {"body": "Request for training.", "requesting_state": "NGA", **fields}
    )


def test_minimal_submission_is_valid() -> None:
    request = _make()
    assert request.title is None
    assert request.language is None


@pytest.mark.parametrize("text", ["line one\nline two\ttabbed\r\n", "عربي", "中文请求", "Ё"])
def test_ordinary_whitespace_and_scripts_are_accepted(text: str) -> None:
    assert _make(body=text).body == text


@pytest.mark.parametrize("bad", ["\x00", "\x1f", "\x7f", "\x85", "\x9b"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        _make(body=f"text{bad}text")


@pytest.mark.parametrize("state", ["nga", "NG", "NGAA", "N1A", ""])
def test_state_must_be_three_capital_letters(state: str) -> None:
    with pytest.raises(ValidationError):
        _make(requesting_state=state)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        _make(priority="high")
