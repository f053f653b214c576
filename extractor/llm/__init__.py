"""The LLM path: a second reader of the tables, the narrative's numbers, missed metadata.

Every value an LLM proposes is re-read from the source text (a table cell it cites, or a
quote aligned to a span) and judged by the deterministic verifier; nothing it says is
accepted on its word.
"""
