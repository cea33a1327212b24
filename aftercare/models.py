"""The aftercare outbox lives here (issue 4)."""
