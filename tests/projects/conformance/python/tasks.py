"""The conformance suite's tasks fixtures (io.modelcontextprotocol/tasks,
SEP-2663): tools that mxcp runs as tasks because their definitions carry a
task:optional or task:required tag. They are ordinary MXCP Python endpoints;
nothing here knows about tasks."""

import asyncio

from mxcp.runtime import mcp


async def slow_compute(seconds: float, label: str = "") -> str:
    # Cancelled (tasks/cancel) while it sleeps: mxcp cancels the coroutine.
    await asyncio.sleep(seconds)
    return f"computed {label} after {seconds}s"


async def failing_job() -> str:
    await asyncio.sleep(1)
    raise ValueError("failing_job always fails")


async def protocol_error_job() -> str:
    # Needs the client's roots, which a client that did not declare them
    # cannot give: a protocol error (-32021), so the task ends failed.
    roots = await mcp.list_roots(key="roots")
    return f"{len(roots)} roots"


async def confirm_delete(filename: str) -> str:
    answer = await mcp.elicit(
        f"Delete {filename}?",
        {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]},
        key="confirm",
    )
    confirmed = answer.action == "accept" and (answer.content or {}).get("confirm")
    return f"{'deleted' if confirmed else 'kept'} {filename}"


async def multi_input() -> str:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    first, second = await asyncio.gather(
        mcp.elicit("First name?", schema, key="first"),
        mcp.elicit("Second name?", schema, key="second"),
    )
    return f"{(first.content or {}).get('name')} and {(second.content or {}).get('name')}"


async def test_tool_with_task() -> str:
    answer = await mcp.elicit(
        "What is your name?",
        {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        key="user_name",
    )
    await asyncio.sleep(0.5)  # the long part, run as a task
    return f"Hello, {(answer.content or {}).get('name', 'stranger')}!"
