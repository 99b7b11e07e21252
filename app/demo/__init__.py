"""Synthetic traffic for demonstrations and benchmarks (`triage seed-demo --requests N`)."""
