"""Tests of the ml package: data, text, behaviour, artefacts and quality."""
