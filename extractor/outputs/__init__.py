"""Outputs: the exports of the run store (results.jsonl, CSVs, parquet, SQLite)."""
