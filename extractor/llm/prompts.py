"""Load the versioned prompt templates in `prompts/`: `<task>.v<N>.md`, newest N wins."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_NAME = re.compile(r"^(?P<task>[a-z_]+)\.v(?P<n>\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    task: str
    version: str  # "<task>.v<N>+<sha256[:8]>": in every cache key and output record
    text: str


@cache
def load(task: str, directory: Path = PROMPTS_DIR) -> Prompt:
    found = [(int(m["n"]), p) for p in directory.glob(f"{task}.v*.md")
             if (m := _NAME.match(p.name)) and m["task"] == task]
    if not found:
        raise FileNotFoundError(f"no prompt template for task {task!r} in {directory}")
    n, path = max(found)
    text = path.read_text("utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return Prompt(task, f"{task}.v{n}+{digest}", text)
