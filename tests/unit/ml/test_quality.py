"""Quality floor on the held-out validation split (measured, never tuned on)."""

from typing import Any

import pytest

from ml.classifier import Classifier
from ml.corpus import Example
from ml.evaluate import evaluate, format_report
from ml.labels import LANGUAGES


@pytest.fixture(scope="module")
def metrics(classifier: Classifier, validation_split: list[Example]) -> dict[str, Any]:
    return evaluate(classifier, validation_split)


def test_area_top1_overall(metrics: dict[str, Any]) -> None:
    assert metrics["area_top1"] >= 0.92, format_report(metrics)


@pytest.mark.parametrize("language", LANGUAGES)
def test_area_top1_in_each_language(metrics: dict[str, Any], language: str) -> None:
    assert metrics["per_language"][language]["area_top1"] >= 0.88


def test_paragraph_hit_at_3(metrics: dict[str, Any]) -> None:
    assert metrics["paragraph_hit3"] >= 0.92


def test_auto_route_precision_and_coverage(metrics: dict[str, Any]) -> None:
    assert metrics["auto_precision"] >= 0.97
    assert metrics["auto_coverage"] >= 0.70


def test_out_of_scope_records_are_not_auto_routed(metrics: dict[str, Any]) -> None:
    assert metrics["out_of_scope_not_auto"] >= 0.90


def test_report_is_a_plain_text_table(metrics: dict[str, Any]) -> None:
    report = format_report(metrics)
    assert "area top-1" in report
    assert all(language in report for language in LANGUAGES)
