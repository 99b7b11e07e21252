"""Dispatch: the outbox, working-group assignments and their delivery."""
