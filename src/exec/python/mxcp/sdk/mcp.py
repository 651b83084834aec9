"""MCP log/progress proxies (mxcp.sdk.mcp): the runtime's `mcp` object."""

from mxcp.runtime import _MCPProxy as MCPLogProxy  # noqa: F401


class NullMCPProxy(MCPLogProxy):
    pass
