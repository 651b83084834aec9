from mxcp.plugins import MXCPBasePlugin, udf


class MXCPPlugin(MXCPBasePlugin):
    def __init__(self, config):
        super().__init__(config)
        self.greeting = config.get("greeting", "hello")

    @udf
    def greet(self, name: str) -> str:
        return f"{self.greeting} {name}"
