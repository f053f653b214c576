"""Evaluate: a run against hand-read expected values (golden files): correct, silent, flagged."""
