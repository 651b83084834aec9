"""mxcp.plugins — the base class of MXCP plugins and its decorators.

A plugin is a class named ``MXCPPlugin`` in the module a project's
``mxcp-site.yml`` lists under ``plugin:``; it derives from
:class:`MXCPBasePlugin` and marks the methods SQL may call with :func:`udf`.
Each one becomes the DuckDB function ``<method>_<plugin name>``.
"""

from mxcp.plugins.base import MXCPBasePlugin, on_shutdown, udf

__all__ = ["MXCPBasePlugin", "udf", "on_shutdown"]
