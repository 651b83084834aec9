"""Types of the mxcp.plugins package."""

from typing import TypedDict


class PluginConfig(TypedDict, total=False):
    """A plugin's configuration: the entry of the user config's
    ``plugin.config`` that the site config's plugin definition names.

    Any key may appear (plugins read theirs with ``.get()``); these two are
    common to many plugins.
    """

    enabled: bool
    debug: bool
