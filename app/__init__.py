"""Triage of counter-terrorism technical-assistance requests (ECOSOC resolution 2019/21)."""
