"""The caller's user context, as MXCP's mxcp.sdk.auth.context."""

import contextvars

from mxcp import _embed

from .models import UserContextModel

user_context_var = contextvars.ContextVar("user_context", default=None)


def get_user_context():
    """The calling user (a UserContextModel), or None when anonymous."""
    ctx = user_context_var.get()
    if ctx is not None:
        return ctx
    handle = _embed.current.get()
    if handle is None:
        return None
    data = handle.user_context()
    return UserContextModel(**data) if data else None


def set_user_context(context):
    return user_context_var.set(context)


def reset_user_context(token):
    user_context_var.reset(token)


__all__ = ["get_user_context", "set_user_context", "reset_user_context", "UserContextModel"]
