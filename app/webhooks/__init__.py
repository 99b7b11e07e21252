"""Webhooks: subscriptions of portals and working groups, signed deliveries and their log."""
