"""Orphans for the PID 1 test: each `sh -c 'sleep 0.2 &'` exits at once
(and is waited for), leaving its `sleep` to be re-parented to PID 1."""

import subprocess


def spawn_orphans(count: int = 3) -> int:
    for _ in range(count):
        subprocess.run(["sh", "-c", "sleep 0.2 &"], check=True)
    return count
