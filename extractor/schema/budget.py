"""Asking for more time: a stage whose work grows with its input in a known, bounded way (OCR:
one allowance per page read, at most `MAX_OCR_PAGES` pages) says so before each unit, and
whoever runs the document under a wall-clock budget (`extractor.run.worker`) extends that
document's deadline. Outside a bounded worker nobody listens and `extend` does nothing.

It lives at the bottom of the stages so any stage can call it without importing the run.
"""

from __future__ import annotations

from collections.abc import Callable

_listener: Callable[[float], None] | None = None


def listen(listener: Callable[[float], None] | None) -> None:
    """Set (or clear, with None) who hears `extend` in this process."""
    global _listener
    _listener = listener


def extend(seconds: float) -> None:
    """Ask for `seconds` more of the current document's wall-clock budget."""
    if _listener is not None:
        _listener(seconds)
