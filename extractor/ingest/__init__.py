"""Ingest: a file (text, HTML, PDF, DOCX) into a `Document`: decoded, rendered, normalized
(with the offset map back to the file), traditional characters simplified. Hands on a
`Document` whose rows the layout stage recovers."""
