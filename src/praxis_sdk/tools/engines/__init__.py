"""Execution engines: one interface (`Engine`), one result shape, one resolver."""

from praxis_sdk.tools.engines.base import Engine, ExecutionSettings, Limits
from praxis_sdk.tools.engines.dagger import DaggerEngine
from praxis_sdk.tools.engines.docker import DockerEngine
from praxis_sdk.tools.engines.local import LocalEngine
from praxis_sdk.tools.engines.python import PythonEngine
from praxis_sdk.tools.engines.resolve import EngineResolver, default_engines
from praxis_sdk.tools.engines.sandbox import SandboxEngine

__all__ = [
    "DaggerEngine",
    "DockerEngine",
    "Engine",
    "EngineResolver",
    "ExecutionSettings",
    "Limits",
    "LocalEngine",
    "PythonEngine",
    "SandboxEngine",
    "default_engines",
]
