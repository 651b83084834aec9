"""The conformance suite's 2026-07-28 fixtures: tools that ask the client
through input-required results (mcp.elicit/sample/list_roots with a key),
and the diagnostic tools of the server-stateless scenario. On the older
revisions the same code asks the client with server-to-client requests."""

import asyncio

from mxcp.content import ClientCapabilityError
from mxcp.runtime import mcp, reload_duckdb


def _name_schema(field):
    return {"type": "object", "properties": {field: {"type": "string"}}, "required": [field]}


async def test_input_required_result_elicitation():
    answer = await mcp.elicit("What is your name?", _name_schema("name"), key="user_name")
    name = (answer.content or {}).get("name", "stranger")
    return f"Hello, {name}!"


async def test_input_required_result_sampling():
    answer = await mcp.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"The model said: {answer.text}"


async def test_input_required_result_list_roots():
    roots = await mcp.list_roots(key="client_roots")
    return "Roots: " + ", ".join(r.get("uri", "?") for r in roots)


async def test_input_required_result_request_state():
    answer = await mcp.elicit(
        "Please confirm",
        {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
        key="confirm",
    )
    # Reached only with the answer and a requestState that verified.
    return f"state-ok: confirmed={answer.content.get('ok') if answer.content else None}"


async def test_input_required_result_multiple_inputs():
    name, greeting, roots = await asyncio.gather(
        mcp.elicit("What is your name?", _name_schema("name"), key="user_name"),
        mcp.sample("Generate a greeting", max_tokens=50, key="greeting"),
        mcp.list_roots(key="client_roots"),
    )
    who = (name.content or {}).get("name", "?")
    return f"{greeting.text}, {who} ({len(roots)} roots)"


async def test_input_required_result_multi_round():
    first = await mcp.elicit("Step 1: What is your name?", _name_schema("name"), key="step1")
    second = await mcp.elicit("Step 2: What is your favorite color?", _name_schema("color"), key="step2")
    return f"{first.content.get('name')} likes {second.content.get('color')}"


async def test_input_required_result_tampered_state():
    answer = await mcp.elicit(
        "Please confirm",
        {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
        key="confirm",
    )
    return f"confirmed: {answer.action}"


async def test_input_required_result_capabilities():
    # Ask only what the client can answer: elicitation is skipped when the
    # client did not declare it.
    try:
        await mcp.elicit("What is your name?", _name_schema("name"), key="user_name")
    except ClientCapabilityError:
        pass
    answer = await mcp.sample("Say hello", max_tokens=20, key="hello")
    return answer.text


async def test_missing_capability():
    # Needs sampling; a client that did not declare it gets -32021.
    answer = await mcp.sample("Say hello", max_tokens=20, key="hello")
    return answer.text


async def test_streaming_elicitation():
    answer = await mcp.elicit("Continue?", {"type": "object", "properties": {}}, key="confirm")
    return f"action={answer.action}"


async def test_logging_tool():
    await mcp.info("a log message, sent only when the request asks for a log level")
    return "logged"


def test_trigger_tool_change():
    reload_duckdb(description="conformance: the tool list changed")
    return "reloading"


def test_trigger_prompt_change():
    reload_duckdb(description="conformance: the prompt list changed")
    return "reloading"
