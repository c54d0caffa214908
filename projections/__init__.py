"""Read models: pure folds of a case's events (entitlement, compliance, timeline, audit)."""
