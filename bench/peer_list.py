# bench/peer_list.py — the peer for `mxcp list`: what MXCP's list does at the
# least (discover tools/*.yml recursively and yaml.safe_load each with
# PyYAML's libyaml-backed loader, then print name/kind), run on Debian's
# CPython. MXCP itself also builds pydantic models and imports its whole
# package, so this is a lower bound on MXCP's time, not its time.
import json, pathlib, sys, yaml

root = pathlib.Path(sys.argv[1])
out = []
for kind, folder in (("tool", "tools"), ("resource", "resources"), ("prompt", "prompts")):
    for path in sorted((root / folder).rglob("*.yml")):
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=yaml.CSafeLoader)
        item = doc.get(kind) if isinstance(doc, dict) else None
        if item:
            out.append({"path": str(path), "kind": kind, "name": item.get("name") or item.get("uri"), "error": ""})
print(json.dumps({"status": "ok", "result": {"status": "ok", "endpoints": out}}, indent=2))
