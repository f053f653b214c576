"""report-extractor: verified numbers from government information-disclosure annual reports."""

__version__ = "0.1.0"
