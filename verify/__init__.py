"""Deterministic checks: grounding and the template's arithmetic identities.

Imports nothing from `extractor` except `extractor.schema`.
"""

from verify.verifier import verify

__all__ = ["verify"]
