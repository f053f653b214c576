"""Review: the page a person reads flagged cells on, and the decisions file they fill."""
