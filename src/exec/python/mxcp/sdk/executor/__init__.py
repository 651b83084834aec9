"""mxcp.sdk.executor — the execution context of a call."""

from .context import ExecutionContext, get_execution_context, reset_execution_context, set_execution_context

__all__ = ["ExecutionContext", "get_execution_context", "set_execution_context", "reset_execution_context"]
