"""Triage: classification results and the model registry."""
