"""Triage model: features, training, evaluation, artefacts and serving; imports nothing from app."""
