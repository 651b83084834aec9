"""mxcp.sdk — the parts of MXCP's SDK that endpoint code uses."""
