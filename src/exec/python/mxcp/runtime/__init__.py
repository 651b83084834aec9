"""mxcp.runtime — what Python endpoints use at run time, as in MXCP.

    from mxcp.runtime import db, config, plugins, mcp, on_init, on_shutdown, reload_duckdb

Valid inside an execution (a call, an @on_init/@on_shutdown hook); outside
one they raise MXCP's RuntimeError.
"""

from mxcp import _embed

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


class _MCPProxy:
    """Log messages and progress to the calling MCP client (notifications/message
    and notifications/progress on the call's stream); logged without a client."""

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
