import asyncio
import datetime
import time
from decimal import Decimal

from mxcp.runtime import config, db, mcp, on_init, on_shutdown, plugins

STATE = {"init": 0}


@on_init
def setup():
    STATE["init"] += 1
    db.execute("CREATE TABLE IF NOT EXISTS items AS SELECT range AS id, 'item ' || range AS name FROM range(5)")


@on_shutdown
def teardown():
    print("shutdown hook ran")


def add_one(n: int) -> dict:
    return {"x": n + 1}


def items(limit: int = 3) -> list:
    return db.execute("SELECT id, name FROM items ORDER BY id LIMIT $limit", {"limit": limit})


async def slow_async(seconds: float) -> dict:
    await mcp.info("starting")
    await mcp.progress(1, 2, "half way")
    await asyncio.sleep(seconds)
    return {"slept": seconds}


def spin(seconds: float) -> dict:
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return {"spins": n}


def fail(message: str) -> dict:
    raise ValueError(message)


def when(day: str) -> dict:
    return {"type": type(day).__name__, "next": day + datetime.timedelta(days=1), "price": Decimal("1.50")}


def secret(name: str) -> dict:
    return {"secret": config.get_secret(name), "project": config.get_setting("project"), "plugins": plugins.list()}


def chatty() -> str:
    print("this goes to the log, not stdout")
    return "done"


def whoami() -> dict:
    from mxcp.sdk.auth.context import get_user_context

    u = get_user_context()
    return {"user": u.username if u else None}


def request_reload(marker: str) -> dict:
    from mxcp.runtime import reload_duckdb

    def payload():
        with open(marker, "w") as f:
            f.write("payload ran")

    reload_duckdb(payload, "test reload")
    return {"queued": True}


def rows100() -> list:
    return [{"i": i, "name": f"row {i}", "score": i / 3} for i in range(100)]
