"""Tools that ask the client, sync and async, and report what came back."""

import asyncio

from mxcp.content import ClientCapabilityError, ClientRequestError, Image, TextContent
from mxcp.runtime import mcp


def ask_llm(prompt: str) -> dict:
    """Sync: mcp.sample blocks the worker (without the GIL) and returns the answer."""
    try:
        r = mcp.sample(prompt, system_prompt="Be brief.", max_tokens=50, temperature=0.5)
    except ClientCapabilityError as e:
        return {"error": "capability", "message": str(e)}
    return {"text": r.text, "model": r.model, "stop_reason": r.stop_reason, "role": r.role}


async def ask_user(message: str) -> dict:
    """Async: mcp.elicit is awaited; the answer's action and content come back."""
    try:
        r = await mcp.elicit(message, {"name": str, "age": int})
    except ClientCapabilityError as e:
        return {"error": "capability", "message": str(e)}
    except ClientRequestError as e:
        return {"error": "request", "message": str(e), "code": e.code}
    return {"action": r.action, "content": r.content}


async def ask_twice() -> list:
    """Two requests of one call in flight at once."""
    a, b = await asyncio.gather(mcp.sample("first"), mcp.sample("second"))
    return [a.text, b.text]


async def ask_with_timeout(seconds: float) -> str:
    try:
        await mcp.sample("never answered", timeout=seconds)
    except ClientRequestError as e:
        return f"{type(e).__name__}: {e}"
    return "answered"


def ask_forever() -> str:
    """Sync, waits until the call is cancelled."""
    mcp.sample("wait for me")
    return "answered"


def picture(caption: str):
    """Content: a text block and an image."""
    return [TextContent(caption), Image(data=b"\x89PNG\r\n\x1a\n", mime_type="image/png")]
