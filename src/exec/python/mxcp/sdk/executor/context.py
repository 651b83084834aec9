"""The execution context of a call (MXCP's mxcp.sdk.executor.context)."""

import contextvars

from mxcp import _embed

_override = contextvars.ContextVar("mxcp_execution_context", default=None)


class ExecutionContext:
    """A call's context: `get(key)` reads user_config, site_config,
    request_headers, user_context and values set with `set`."""

    def __init__(self, user_context=None, handle=None):
        self._handle = handle
        self._user_context = user_context
        self._data = {}

    @property
    def user_context(self):
        if self._user_context is None and self._handle is not None:
            from mxcp.sdk.auth.context import get_user_context

            self._user_context = get_user_context()
        return self._user_context

    def get(self, key, default=None):
        if key in self._data:
            return self._data[key]
        h = self._handle
        if h is not None:
            if key == "user_config":
                return h.user_config()
            if key == "site_config":
                return h.site_config()
            if key == "request_headers":
                return h.headers()
            if key == "user_context":
                return self.user_context
        return default

    def set(self, key, value):
        self._data[key] = value

    update = set

    @property
    def user_id(self):
        u = self.user_context
        return u.user_id if u else None

    @property
    def username(self):
        u = self.user_context
        return u.username if u else None

    @property
    def provider(self):
        u = self.user_context
        return u.provider if u else None

    @property
    def external_token(self):
        u = self.user_context
        return u.external_token if u else None

    @property
    def email(self):
        u = self.user_context
        return u.email if u else None

    def has_user_info(self):
        return self.user_context is not None

    def copy(self, **kwargs):
        c = ExecutionContext(self._user_context, self._handle)
        c._data = dict(self._data)
        c._data.update(kwargs)
        return c


def get_execution_context():
    ctx = _override.get()
    if ctx is not None:
        return ctx
    handle = _embed.current.get()
    return ExecutionContext(handle=handle) if handle is not None else None


def set_execution_context(context):
    return _override.set(context)


def reset_execution_context(token):
    _override.reset(token)
