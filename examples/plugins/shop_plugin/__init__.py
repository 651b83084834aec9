"""The example's plugin: SQL functions written in Python.

Each @udf method becomes a DuckDB function named <method>_<plugin name>
(`price_label_shop` here, the plugin being `shop` in mxcp-site.yml), usable
from SQL tools and from Python's db.execute alike.
"""

from mxcp.plugins import MXCPBasePlugin, udf


class MXCPPlugin(MXCPBasePlugin):
    def __init__(self, config):
        super().__init__(config)
        self.currency = config.get("currency", "$")

    @udf
    def price_label(self, amount: float) -> str:
        """A price as shoppers read it: $1,200.00."""
        return f"{self.currency}{amount:,.2f}"
