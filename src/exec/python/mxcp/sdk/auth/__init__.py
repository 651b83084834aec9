"""mxcp.sdk.auth — the user context of a call."""

from .capabilities import CapabilityMapper
from .context import get_user_context, reset_user_context, set_user_context
from .models import UserContextModel

__all__ = ["CapabilityMapper", "UserContextModel", "get_user_context", "set_user_context", "reset_user_context"]
