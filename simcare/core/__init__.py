"""The ground floor: errors, units, randomness, statistics and queueing theory (no model)."""
