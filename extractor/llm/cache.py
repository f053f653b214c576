"""A disk cache of raw LLM replies that never pickles.

diskcache unpickles whatever its database holds (CVE-2025-69872: anyone who can write to
the cache directory can make us run code). `TextOnlyDisk` stores and returns only str and
bytes, and refuses to read a pickled row; the directory is private (0700). Keys are sha256
hex digests of the canonical request; values are JSON text of the HTTP reply (status,
content type, body). Neither holds the API key: the request body never contains it and
headers are not part of the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_PICKLE, UNKNOWN


class UnsafeCacheEntry(Exception):
    """The cache holds a pickled entry, which we refuse to load."""


class TextOnlyDisk(diskcache.Disk):
    """A diskcache Disk for str/bytes keys and values only; pickles are refused both ways."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if not isinstance(key, str | bytes):
            raise TypeError(f"cache keys must be str or bytes, not {type(key).__name__}")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheEntry("refusing to unpickle a cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[int, int, str | None, Any]:
        if read or not isinstance(value, str | bytes):
            raise TypeError(f"cache values must be str or bytes, not {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_PICKLE:
            raise UnsafeCacheEntry("refusing to unpickle a cache value")
        return super().fetch(mode, filename, value, read)


def canonical_key(parts: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a request's identity."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReplyCache:
    """Raw replies by request key. Thread-safe (diskcache uses SQLite with its own locking)."""

    def __init__(self, directory: Path) -> None:
        directory = directory.expanduser()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
        self.directory = directory
        self._cache = diskcache.Cache(str(directory), disk=TextOnlyDisk)

    def get(self, key: str) -> str | None:
        value = self._cache.get(key)
        if value is None:
            return None
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return value  # type: ignore[no-any-return]

    def set(self, key: str, value: str) -> None:
        self._cache.set(key, value)

    def close(self) -> None:
        self._cache.close()
