"""Mapping: recovered rows onto the template. Detects the template version and the
sections, recognises rows by their labels, builds cells from printed text, places values
(by identities where a layout lost columns or labels), reads metadata, and says what is
missing. Hands on an `Extraction` (extractor.schema) to the verifier."""
