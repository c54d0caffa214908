"""The case as an event-sourced aggregate, the rulebook and period arithmetic."""
