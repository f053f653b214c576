"""LLM settings: defaults < config file (TOML) < environment < command-line flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ModeName = Literal["auto", "json_schema", "tools", "md_json"]
CacheUse = Literal["use", "off", "refresh"]

#: Where a config file is looked for when none is named.
DEFAULT_CONFIG = Path("~/.config/report-extractor/config.toml")
DEFAULT_CACHE_DIR = Path("~/.cache/report-extractor/llm")


class Price(BaseModel):
    """Price per million tokens, in any currency the user chooses."""

    model_config = ConfigDict(extra="forbid")
    prompt: Decimal = Decimal(0)
    completion: Decimal = Decimal(0)


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    model: str | None = None
    mode: ModeName = "auto"
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout: float = 120.0  # seconds per HTTP request
    max_attempts: int = 5  # HTTP attempts per request (429, 5xx, timeouts, connection errors)
    backoff_initial: float = 1.0  # seconds
    backoff_max: float = 60.0  # cap of one wait (also caps Retry-After)
    retry_budget: float = 300.0  # total seconds one request may spend retrying
    reasks: int = 1  # validation re-asks after an invalid reply (instructor max_retries)
    max_reply_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)  # a larger reply is not read
    probe: bool = True  # one cheap request checks the endpoint before the first report
    cache: CacheUse = "use"
    cache_dir: Path = DEFAULT_CACHE_DIR
    prices: dict[str, Price] = Field(default_factory=dict)  # model name -> price
    max_cost: Decimal | None = None
    rpm: int | None = Field(default=None, ge=1)  # requests per minute, all threads together
    tpm: int | None = Field(default=None, ge=1)  # tokens per minute, all threads together

    @property
    def configured(self) -> bool:
        """An endpoint is configured: a base URL, or an API key for the default (OpenAI)."""
        return bool(self.model) and (self.base_url is not None or self.api_key is not None)

    @property
    def endpoint(self) -> str:
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def price(self) -> Price:
        return self.prices.get(self.model or "", Price())


#: Environment variables and the settings they fill.
ENV = {
    "OPENAI_BASE_URL": "base_url",
    "OPENAI_API_KEY": "api_key",
    "EXTRACTOR_MODEL": "model",
    "EXTRACTOR_LLM_MODE": "mode",
    "EXTRACTOR_CACHE_DIR": "cache_dir",
}


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> LLMSettings:
    """Settings from the config file, then the environment, then flags (None = not given).

    The config file is TOML with the setting names as keys, at top level or under [llm];
    prices as `[llm.prices."model-name"] prompt = 0.15, completion = 0.6` (per 1M tokens).
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    path = config_file or Path(env.get("EXTRACTOR_CONFIG", str(DEFAULT_CONFIG))).expanduser()
    if config_file is not None or path.is_file():
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
        data.update(raw.get("llm", raw))
    for var, name in ENV.items():
        if env.get(var):
            data[name] = env[var]
    data.update({k: v for k, v in flags.items() if v is not None})
    settings = LLMSettings.model_validate(data)
    return settings.model_copy(update={"cache_dir": settings.cache_dir.expanduser()})


def host(url: str) -> str:
    return (urlparse(url).hostname or "").lower()


def auto_mode(settings: LLMSettings) -> str:
    """The structured-output mode to start with for an endpoint.

    JSON_SCHEMA where the server enforces the schema (OpenAI, vLLM, Ollama and most
    OpenAI-compatible servers); TOOLS for endpoints known to reject or ignore
    `response_format: json_schema` but constrain tool calls (DeepSeek, DashScope, and
    llama.cpp's Python server when recognisable). An endpoint that answers "unsupported
    response_format" moves down the chain once at run time (see client.FALLBACK).
    """
    if settings.mode != "auto":
        return settings.mode
    h = host(settings.endpoint)
    if h.endswith("deepseek.com") or "dashscope" in h:
        return "tools"
    if "llama" in settings.endpoint.lower():
        return "tools"
    return "json_schema"
