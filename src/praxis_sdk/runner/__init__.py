"""Plans and their execution: `compile_dsl`, `plan_from_graph`, `plan_for_tool`, `Executor`."""

from praxis_sdk.runner.compile import compile_dsl
from praxis_sdk.runner.executor import Executor
from praxis_sdk.runner.graph import plan_from_graph
from praxis_sdk.runner.plan import Plan, PlanInvalid, Retry, Step, plan_for_tool
from praxis_sdk.runner.state import NodeState, RunState
from praxis_sdk.runner.validate import check

__all__ = ["Executor", "NodeState", "Plan", "PlanInvalid", "Retry", "RunState", "Step",
           "check", "compile_dsl", "plan_for_tool", "plan_from_graph"]
