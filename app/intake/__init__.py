"""Intake: Member State portals submit assistance requests."""
