"""Portal API keys and desk users."""
