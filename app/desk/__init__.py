"""The desk: officers' triage queue, request review and correction, model and administration."""
