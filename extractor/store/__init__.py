"""The run store (SQLite): documents, results per key with history, cells and flags for SQL
audits, people's decisions, runs and their items. The source of truth every export reads."""
