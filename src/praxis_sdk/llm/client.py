"""`LLMClient`: chat completions from OpenAI or any compatible server (the `openai` package).

The key goes only into the `Authorization: Bearer` header the `openai` client sends; it
is never logged, stored or put into an error. HTTP 429, 5xx and lost connections are
retried by the `openai` client (exponential backoff with jitter, `Retry-After` honoured,
`llm.max_retries` times); `llm.timeout` bounds a whole call, retries included, so a model
that never answers ends with a clear `Timeout`. Token usage goes into the node's metrics.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import openai
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

from praxis_sdk.config import LLMConfig
from praxis_sdk.errors import PraxisError, Timeout, Unavailable

log = structlog.stdlib.get_logger(__name__)

# A local server (Ollama, llama.cpp) needs no key, but the `openai` client wants one.
NO_KEY = "none"


@dataclass
class Usage:
    """Tokens and calls spent on one request (summed over every model call)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_ms: float = 0.0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.model_ms += other.model_ms

    def dump(self) -> dict[str, Any]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "model_ms": round(self.model_ms, 1)}


@dataclass
class Completion:
    text: str
    usage: Usage = field(default_factory=Usage)


class LLMMetrics:
    """`praxis_llm_*` metrics on the node's registry."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.calls = Counter("praxis_llm_requests_total", "Model calls", ["model", "outcome"],
                             registry=registry)
        self.tokens = Counter("praxis_llm_tokens_total", "Tokens used by model calls",
                              ["model", "kind"], registry=registry)
        self.duration = Histogram("praxis_llm_request_duration_seconds",
                                  "Model call duration, retries included", ["model"],
                                  registry=registry)


class LLMClient:
    """One model behind an OpenAI-compatible chat completions endpoint."""

    def __init__(self, config: LLMConfig, *, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.model = config.model
        key = (config.api_key.get_secret_value() if config.api_key else "") or NO_KEY
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=config.base_url or None, timeout=config.timeout,
            max_retries=config.max_retries)
        self.metrics = LLMMetrics(registry)

    @property
    def where(self) -> str:
        """The server, as errors name it (never with credentials)."""
        return str(self._client.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(self, messages: list[dict[str, str]]) -> Completion:
        """The model's answer to `messages`; `Timeout` or `Unavailable` when it fails."""
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(self.config.timeout):
                reply = await self._client.chat.completions.create(
                    model=self.model, messages=messages,  # type: ignore[arg-type]
                    temperature=self.config.temperature, max_tokens=self.config.max_tokens)
            outcome = "ok"
        except TimeoutError:
            outcome = "timeout"
            raise self._timeout() from None
        except openai.APITimeoutError:
            outcome = "timeout"
            raise self._timeout() from None
        except openai.APIStatusError as exc:
            raise self._refused(exc) from None
        except openai.APIConnectionError:
            raise Unavailable(f"cannot reach the model server at {self.where} (llm.base_url)",
                              details={"base_url": self.where}) from None
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.calls.labels(self.model, outcome).inc()
            self.metrics.duration.labels(self.model).observe(elapsed)
        return self._completion(reply, elapsed)

    def _completion(self, reply: Any, elapsed: float) -> Completion:
        usage = Usage(calls=1, model_ms=elapsed * 1000)
        if reply.usage is not None:
            usage.prompt_tokens = reply.usage.prompt_tokens or 0
            usage.completion_tokens = reply.usage.completion_tokens or 0
            self.metrics.tokens.labels(self.model, "prompt").inc(usage.prompt_tokens)
            self.metrics.tokens.labels(self.model, "completion").inc(usage.completion_tokens)
        choices = reply.choices or []
        text = (choices[0].message.content or "") if choices else ""
        log.info("model answered", model=self.model, ms=round(usage.model_ms),
                 prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
        return Completion(text=text, usage=usage)

    def _timeout(self) -> Timeout:
        return Timeout(f"the model {self.model!r} at {self.where} did not answer within "
                       f"{self.config.timeout:g}s (llm.timeout)",
                       details={"timeout_s": self.config.timeout, "model": self.model})

    def _refused(self, exc: openai.APIStatusError) -> PraxisError:
        status = exc.status_code
        if status in (401, 403):
            what = "refused the API key (set OPENAI_API_KEY or llm.api_key)"
        elif status == 429:
            what = f"is rate limiting us (still HTTP 429 after {self.config.max_retries} retries)"
        elif status == 404:
            what = f"does not know the model {self.model!r} (llm.model) or the path"
        elif status >= 500:
            what = f"failed (HTTP {status} after {self.config.max_retries} retries)"
        else:
            what = f"rejected the request (HTTP {status}){_said(exc)}"
        return Unavailable(f"the model server at {self.where} {what}",
                           details={"status": status, "model": self.model})


def _said(exc: openai.APIStatusError) -> str:
    """The server's own reason for a 4xx (e.g. the context is too long), shortened."""
    body = exc.body
    if isinstance(body, dict):
        body = body.get("error", body)
        body = body.get("message") if isinstance(body, dict) else body
    return f": {str(body)[:200]}" if body else ""
