"""The A2A agent card: one skill per tool of the whole catalog, plus the DSL and
plain-language skills; interface URLs from `agent.url` (never a wildcard address).

The card is rebuilt only when the catalog changes (peers come and go), so serving it is
a dictionary lookup; the SDK's card route adds a weak ETag and our Cache-Control.
"""

from __future__ import annotations

from collections.abc import Callable

from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)
from a2a.utils.constants import PROTOCOL_VERSION_0_3, PROTOCOL_VERSION_1_0, TransportProtocol

from praxis_sdk.config import Settings
from praxis_sdk.tools.catalog import ToolCatalog
from praxis_sdk.tools.spec import ToolSpec

JSONRPC_PATH = "/a2a/v1"
REST_PATH = "/a2a/rest"
CARD_CACHE_CONTROL = "public, max-age=30, must-revalidate"
DSL_SKILL = "praxis-dsl"
LANGUAGE_SKILL = "plain-language"
BEARER = "bearer"
MODES = ["text/plain", "application/json"]


def tool_skill(spec: ToolSpec) -> AgentSkill:
    """A tool as a skill: send `{"tool": name, "arguments": {...}}` as a data part."""
    params = ", ".join(spec.param_names) or "no arguments"
    where = "this agent" if spec.source == "local" else f"{spec.source} {spec.provider}"
    return AgentSkill(
        id=spec.name, name=spec.name,
        description=f"{spec.description or spec.name} (runs on {where}; arguments: {params}). "
                    f'Send a data part {{"tool": "{spec.name}", "arguments": {{...}}}}.',
        tags=["tool", spec.source], examples=[f"CALL {spec.name}"],
        input_modes=["application/json", "text/plain"], output_modes=MODES,
    )


def dsl_skill() -> AgentSkill:
    return AgentSkill(
        id=DSL_SKILL, name="Praxis workflow DSL",
        description="Runs a workflow script: CALL, PARALLEL, SEQUENCE, IF, DELEGATE; each "
                    "step's result comes back as an artifact.",
        tags=["dsl", "workflow"],
        examples=["CALL word_counter --file_path /shared/a.txt AS counts"],
        input_modes=["text/plain"], output_modes=MODES,
    )


def language_skill(available: bool) -> AgentSkill:
    note = "" if available else (" Unavailable: this agent has no LLM configured "
                                 "(llm section); send DSL or a tool call instead.")
    return AgentSkill(
        id=LANGUAGE_SKILL, name="Plain-language requests",
        description="Plans a request written in plain language with the LLM and runs the "
                    "plan." + note,
        tags=["llm"] + ([] if available else ["unavailable"]),
        examples=["count the words in /shared/a.txt"],
        input_modes=["text/plain"], output_modes=MODES,
    )


class CardBuilder:
    """Builds the card from the config and the catalog; cached until the catalog changes."""

    def __init__(self, config: Settings, catalog: ToolCatalog, base_url: Callable[[], str]
                 ) -> None:
        self.config = config
        self.catalog = catalog
        self.base_url = base_url
        self._card: AgentCard | None = None
        catalog.on_change(self.invalidate)

    def invalidate(self) -> None:
        self._card = None

    def card(self) -> AgentCard:
        if self._card is None:
            self._card = self.build()
        return self._card

    async def current(self, _card: AgentCard | None = None) -> AgentCard:
        """The SDK's `card_modifier` hook: always the fresh card."""
        return self.card()

    def build(self) -> AgentCard:
        agent, a2a = self.config.agent, self.config.a2a
        base = self.base_url().rstrip("/")
        card = AgentCard(
            name=agent.name, description=a2a.description or agent.description,
            version=agent.version,
            supported_interfaces=[
                AgentInterface(url=f"{base}{JSONRPC_PATH}",
                               protocol_binding=TransportProtocol.JSONRPC.value,
                               protocol_version=PROTOCOL_VERSION_1_0),
                AgentInterface(url=f"{base}{REST_PATH}",
                               protocol_binding=TransportProtocol.HTTP_JSON.value,
                               protocol_version=PROTOCOL_VERSION_1_0),
                AgentInterface(url=f"{base}{JSONRPC_PATH}",
                               protocol_binding=TransportProtocol.JSONRPC.value,
                               protocol_version=PROTOCOL_VERSION_0_3),
            ],
            capabilities=AgentCapabilities(streaming=True, push_notifications=False,
                                           extended_agent_card=False),
            default_input_modes=["text/plain", "application/json"],
            default_output_modes=MODES,
            skills=self._skills(),
        )
        if a2a.provider:
            card.provider.CopyFrom(AgentProvider(
                organization=a2a.provider.get("organization", ""),
                url=a2a.provider.get("url", "")))
        if self.config.http.auth_token is not None:
            card.security_schemes[BEARER].CopyFrom(SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer", description="http.auth_token of the agent")))
            requirement = SecurityRequirement()
            requirement.schemes[BEARER].CopyFrom(StringList())
            card.security_requirements.append(requirement)
        return card

    def _skills(self) -> list[AgentSkill]:
        skills = [dsl_skill(), language_skill(self.config.llm.enabled)]
        seen: set[str] = set()
        for spec in self.catalog.specs():  # in resolution order: the first of a name runs
            if spec.name in seen or not (spec.expose or spec.source == "peer"):
                continue
            seen.add(spec.name)
            skills.append(tool_skill(spec))
        for extra in self.config.a2a.skills:
            skills.append(AgentSkill(
                id=str(extra.get("id") or extra.get("name")), name=str(extra.get("name", "")),
                description=str(extra.get("description", "")),
                tags=[str(t) for t in extra.get("tags", [])],
                examples=[str(e) for e in extra.get("examples", [])]))
        return skills
