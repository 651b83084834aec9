"""mxcp — the package Python endpoints and plugins import (mxcp.runtime, mxcp.plugins, mxcp.sdk)."""
