"""Plain language to plans: an OpenAI-compatible client and the planner that uses it.

`build_planner` imports the `openai` package only when the llm section asks for a model,
so a node without one starts without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from praxis_sdk.config import LLMConfig
from praxis_sdk.runner.plan import Plan
from praxis_sdk.tools.spec import ToolSpec

if TYPE_CHECKING:
    from praxis_sdk.llm.planner import LLMPlanner


def usable(config: LLMConfig) -> bool:
    """Whether a planner can be built: enabled, and a key or a server of one's own."""
    key = config.api_key.get_secret_value() if config.api_key else ""
    return config.enabled and bool(key or config.base_url)


def build_planner(config: LLMConfig, *, tools: Callable[[], list[ToolSpec]],
                  compile: Callable[[str], Plan], registry: CollectorRegistry | None = None
                  ) -> LLMPlanner | None:
    """The planner the llm section describes, or None when it describes none."""
    if not usable(config):
        return None
    from praxis_sdk.llm.client import LLMClient
    from praxis_sdk.llm.planner import LLMPlanner

    return LLMPlanner(LLMClient(config, registry=registry), tools=tools, compile=compile,
                      config=config)


__all__ = ["build_planner", "usable"]
