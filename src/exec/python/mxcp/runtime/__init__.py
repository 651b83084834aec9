"""mxcp.runtime — what Python endpoints use at run time, as in MXCP.

    from mxcp.runtime import db, config, plugins, mcp, on_init, on_shutdown, reload_duckdb

Valid inside an execution (a call, an @on_init/@on_shutdown hook); outside
one they raise MXCP's RuntimeError.
"""


from mxcp import _embed
from mxcp import content as _content

_NO_CONTEXT = "No execution context available - function not called from MXCP executor"


def _call():
    handle = _embed.current.get()
    if handle is None:
        raise RuntimeError(_NO_CONTEXT)
    return handle


class DatabaseProxy:
    """`db.execute(sql, params)` on the DuckDB connection of the calling worker."""

    def execute(self, query, params=None):
        return _call().db_execute(query, params)


class ConfigProxy:
    """The project's configuration: secrets, settings, the whole files."""

    def get_secret(self, name):
        """The `parameters` of the active profile's secret `name` ({} when it
        has none), or None when there is no such secret."""
        handle = _call()
        for secret in handle.secrets() or []:
            if isinstance(secret, dict) and secret.get("name") == name:
                params = secret.get("parameters")
                return params if isinstance(params, dict) else {}
        return None

    def get_setting(self, key, default=None):
        """A value of mxcp-site.yml by its dotted path ("dbt.enabled")."""
        value = _call().site_config()
        if not value:
            return default
        for part in key.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
        return value

    @property
    def user_config(self):
        handle = _embed.current.get()
        return handle.user_config() if handle is not None else None

    @property
    def site_config(self):
        handle = _embed.current.get()
        return handle.site_config() if handle is not None else None


class PluginsProxy:
    """The project's plugin instances, by name."""

    def get(self, name):
        return _call().plugins().get(name)

    def list(self):
        return list(_call().plugins().keys())


class _Done:
    """What mcp.info() and friends return: the message is sent when they are
    called, so sync code may call them without await; awaiting is free."""

    __slots__ = ()

    def __await__(self):
        return iter(())


_DONE = _Done()


def _request_done(reply):
    """The answer of _mxcp.Call.request: the result, or the exception it means."""
    ok, payload = reply
    if ok:
        return payload
    kind, message, code, data = payload
    if kind == "input_required":
        raise _embed.InputRequired(message)
    if kind == "cancelled":
        raise _embed.Cancelled(message)
    if kind == "unsupported":
        raise _content.ClientCapabilityError(message)
    raise _content.ClientRequestError(message, code, data)


def _roots(result):
    roots = result.get("roots") if isinstance(result, dict) else None
    return [r for r in roots if isinstance(r, dict)] if isinstance(roots, list) else []


class _MCPProxy:
    """Log messages and progress to the calling MCP client (notifications/message
    and notifications/progress on the call's stream; logged without a client),
    and requests to it (sampling, elicitation: mxcp's extension)."""

    def _request(self, method, params, timeout, wrap, key=None):
        handle = _embed.current.get()
        if handle is None:
            raise _content.ClientCapabilityError(
                f"{method}: no client to ask (not called from an MCP request)"
            )
        timeout = -1.0 if timeout is None else float(timeout)
        if key is not None:
            # The answer's name in a 2026-07-28 input-required result
            # (inputRequests/inputResponses); ignored by older revisions.
            params = dict(params, **{"io.mxcp/inputKey": str(key)})
        import asyncio  # the event loop of async endpoints imported it already

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # A sync endpoint (its worker thread): wait here, without the GIL.
            return wrap(_request_done(handle.request(method, params, timeout)))

        async def wait():
            # An async endpoint: the wait blocks a thread of the loop's
            # executor, never the loop.
            reply = await loop.run_in_executor(None, handle.request, method, params, timeout)
            if not reply[0] and reply[1][0] == "input_required":
                # Let requests started alongside this one (asyncio.gather)
                # be recorded too: they go out in the same round.
                await asyncio.sleep(0.05)
            return wrap(_request_done(reply))

        return wait()

    def sample(self, messages, *, system_prompt=None, max_tokens=512, temperature=None,
               model_preferences=None, stop_sequences=None, include_context=None,
               metadata=None, timeout=None, key=None):
        """Ask the client's LLM (sampling/createMessage) and return a
        mxcp.content.SampleResult (.text, .content, .model, .stop_reason).
        Awaitable in an async endpoint; in a sync one it blocks and returns
        the result. Raises ClientCapabilityError when the client did not
        declare `sampling`, ClientRequestError when it refuses or does not
        answer within `timeout` seconds (default: the call's own deadline,
        at most 10 minutes).

        On protocol revision 2026-07-28 the client is not asked during the
        call: the call ends with an input-required result naming this
        request `key` (default: input-1, input-2, … in the order asked),
        and runs again from the start once the client answers; then this
        call returns the answer. Keep what runs before it free of side
        effects, or idempotent."""
        params = _content.sampling_params(
            messages, system_prompt, max_tokens, temperature, model_preferences,
            stop_sequences, include_context, metadata,
        )
        return self._request("sampling/createMessage", params, timeout, _content.SampleResult, key)

    def elicit(self, message, schema=None, *, timeout=None, key=None):
        """Ask the user through the client (elicitation/create) and return a
        mxcp.content.ElicitResult (.action: "accept" | "decline" | "cancel",
        .content). schema: a JSON Schema object of flat properties, or a dict
        name -> str/int/float/bool. Awaitable or blocking as sample();
        raises the same errors (the capability is `elicitation`); `key` as
        for sample()."""
        params = _content.elicitation_params(message, schema)
        return self._request("elicitation/create", params, timeout, _content.ElicitResult, key)

    def list_roots(self, *, timeout=None, key=None):
        """Ask the client for its roots (roots/list) and return the list of
        roots, each a dict {"uri": "file:///…", "name": …}. Awaitable or
        blocking as sample(); the capability is `roots`; `key` as for
        sample()."""
        return self._request("roots/list", {}, timeout, _roots, key)

    def _log(self, level, message, extra):
        handle = _embed.current.get()
        text = str(message)
        if extra:
            text += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if handle is None:
            _embed.logger.log({"debug": 10, "info": 20, "warning": 30, "error": 40}[level], text)
        else:
            handle.log(level, text)
        return _DONE

    def debug(self, message, **extra):
        return self._log("debug", message, extra)

    def info(self, message, **extra):
        return self._log("info", message, extra)

    def warning(self, message, **extra):
        return self._log("warning", message, extra)

    def error(self, message, **extra):
        return self._log("error", message, extra)

    def progress(self, progress, total=None, message=None):
        handle = _embed.current.get()
        if handle is not None:
            handle.progress(float(progress), None if total is None else float(total), message)
        return _DONE


db = DatabaseProxy()
config = ConfigProxy()
plugins = PluginsProxy()
mcp = _MCPProxy()

_init_hooks = []
_shutdown_hooks = []


def on_init(func):
    """Run func (no arguments) once the project's modules are loaded."""
    _init_hooks.append(func)
    return func


def on_shutdown(func):
    """Run func when the project is unloaded (reload, exit)."""
    _shutdown_hooks.append(func)
    return func


def run_init_hooks():
    _embed.run_hooks(list(_init_hooks), _embed.current.get(), "init")


def run_shutdown_hooks():
    _embed.run_hooks(list(_shutdown_hooks), _embed.current.get(), "shutdown")


def reload_duckdb(payload_func=None, description=""):
    """Queue a reload: calls in flight finish, the runtime stops, payload_func
    runs with every connection closed, and the project is loaded again.
    Returns at once."""
    handle = _call()
    _embed.logger.info(f"Requesting DuckDB reload: {description or 'No description'}")
    if not handle.request_reload(payload_func, description or "DuckDB reload via runtime API"):
        raise RuntimeError(
            "Server reference not available in context. "
            "This function can only be called from within MXCP server endpoints."
        )


__all__ = [
    "db",
    "config",
    "plugins",
    "mcp",
    "on_init",
    "on_shutdown",
    "reload_duckdb",
    "DatabaseProxy",
    "ConfigProxy",
    "PluginsProxy",
]
