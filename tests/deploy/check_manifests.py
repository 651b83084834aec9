"""tests/deploy/check_manifests.py — deploy/k8s/*.yaml and deploy/compose.yml
read as YAML and checked against what mxcp really serves and reads.

Usage: python3 check_manifests.py SOURCE_DIR ENV_NAMES_FILE OUT_DIR YAML_JSON

YAML_JSON holds the files parsed (yaml_to_json.mjs: {path: [doc, …]}, and
the ConfigMap's YAML files as "configmap:KEY").

ENV_NAMES_FILE lists the environment variables mxcp reads (one a line,
from its sources). Writes OUT_DIR/k8s.json (every manifest, for the schema
check), OUT_DIR/probes (one "path" a line: what the probes and the health
checks ask, for the live check), OUT_DIR/config.yml and OUT_DIR/mxcp-site.yml
(the ConfigMap's files, for `mxcp validate`). Exits 1 with every problem
listed.
"""
import json
import os
import re
import sys

src, env_file, out, parsed_file = sys.argv[1:5]
with open(parsed_file) as f:
    parsed = json.load(f)
problems = []


def fail(msg):
    problems.append(msg)


with open(env_file) as f:
    mxcp_env = {line.strip() for line in f if line.strip()}

docs = []
for path in sorted(p for p in parsed if "/deploy/k8s/" in p):
    for d in parsed[path]:
        d["__file"] = os.path.relpath(path, src)
        docs.append(d)
by_kind = {}
for d in docs:
    for key in ("apiVersion", "kind", "metadata"):
        if key not in d:
            fail(f"{d['__file']}: no {key}")
    by_kind.setdefault(d.get("kind"), []).append(d)
for kind in ("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget",
             "HorizontalPodAutoscaler"):
    if kind not in by_kind:
        fail(f"deploy/k8s: no {kind}")
if problems:
    print("\n".join(problems))
    sys.exit(1)

dep = by_kind["Deployment"][0]
cm = {c["metadata"]["name"]: c for c in by_kind["ConfigMap"]}
secret = {s["metadata"]["name"]: s for s in by_kind["Secret"]}
pod = dep["spec"]["template"]["spec"]
labels = dep["spec"]["template"]["metadata"]["labels"]
if dep["spec"]["selector"]["matchLabels"] != labels:
    fail("Deployment: selector does not match the template's labels")

config_text = cm["mxcp-config"]["data"]["config.yml"]
config = parsed["configmap:config.yml"][0]
http = config["transport"]["http"]
port = http.get("port", 8000)
if http.get("host") not in ("0.0.0.0", "::"):
    fail("ConfigMap config.yml: transport.http.host must be 0.0.0.0 in a pod")
if not http.get("stateless"):
    fail("ConfigMap config.yml: several replicas and an HPA need transport.http.stateless: true")
with open(os.path.join(out, "config.yml"), "w") as f:
    f.write(config_text)
with open(os.path.join(out, "mxcp-site.yml"), "w") as f:
    f.write(cm["mxcp-config"]["data"]["mxcp-site.yml"])

volumes = {v["name"]: v for v in pod.get("volumes", [])}
sc = pod.get("securityContext", {})
if not sc.get("runAsNonRoot") or sc.get("runAsUser") != 1000:
    fail("Deployment: pod securityContext must run as non-root uid 1000 (the image's mxcp user)")
probes = set()
writable = set()
for c in pod.get("initContainers", []) + pod["containers"]:
    name = c["name"]
    csc = c.get("securityContext", {})
    if not csc.get("readOnlyRootFilesystem"):
        fail(f"{name}: readOnlyRootFilesystem must be true")
    if csc.get("allowPrivilegeEscalation") is not False:
        fail(f"{name}: allowPrivilegeEscalation must be false")
    if "ALL" not in csc.get("capabilities", {}).get("drop", []):
        fail(f"{name}: capabilities must drop ALL")
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            fail(f"{name}: volumeMount {m['name']} has no volume")
        v = volumes.get(m["name"], {})
        if "configMap" in v:
            keys = cm.get(v["configMap"]["name"], {}).get("data", {})
            for item in v["configMap"].get("items", []):
                if item["key"] not in keys:
                    fail(f"volume {m['name']}: ConfigMap has no key {item['key']}")
        if not m.get("readOnly") and name == "mxcp":
            writable.add(m["mountPath"])
    for e in c.get("env", []):
        n = e["name"]
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            s = secret.get(ref["name"])
            if s is None or ref["key"] not in s.get("stringData", s.get("data", {})):
                fail(f"{name}: env {n} names a missing secret key {ref['name']}/{ref['key']}")
            if "${" + n + "}" not in config_text and n not in mxcp_env:
                fail(f"{name}: env {n} is neither read by mxcp nor referenced in config.yml")
        elif n not in mxcp_env:
            fail(f"{name}: env {n} is not a variable mxcp reads")

main = next(c for c in pod["containers"] if c["name"] == "mxcp")
if main.get("command"):
    fail("mxcp: `command` would replace the image's entrypoint (tini, PID 1); use args")
args = main.get("args", [])
if args[:2] != ["mxcp", "serve"]:
    fail("mxcp: args must run `mxcp serve`")
if "--port" in args and int(args[args.index("--port") + 1]) != port:
    fail("mxcp: --port differs from config.yml's transport.http.port")
ports = {p.get("name"): p["containerPort"] for p in main.get("ports", [])}
if port not in ports.values():
    fail(f"mxcp: containerPort is not {port}, the port mxcp listens on")
for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
    p = main.get(kind)
    if p is None:
        fail(f"mxcp: no {kind}")
        continue
    g = p.get("httpGet", {})
    pp = g.get("port")
    if ports.get(pp, pp) != port:
        fail(f"mxcp: {kind} port {pp} is not {port}")
    probes.add(g.get("path"))
if main["livenessProbe"]["httpGet"]["path"] != "/health":
    fail("mxcp: livenessProbe must ask /health")
if main["readinessProbe"]["httpGet"]["path"] != "/ready":
    fail("mxcp: readinessProbe must ask /ready")
ann = dep["spec"]["template"]["metadata"].get("annotations", {})
if ann.get("prometheus.io/path"):
    probes.add(ann["prometheus.io/path"])
    if int(ann.get("prometheus.io/port", port)) != port:
        fail("annotations: prometheus.io/port is not mxcp's port")
for path in ("/app/data", "/app/audit", "/tmp", "/run/mxcp"):
    if path not in writable:
        fail(f"mxcp: {path} must be a writable volume (the root file system is read-only)")
env = {e["name"]: e.get("value") for e in main.get("env", [])}
if env.get("MXCP_ADMIN_SOCKET", "/run/mxcp/mxcp.sock").rsplit("/", 1)[0] not in writable:
    fail("mxcp: the admin socket's folder is not writable")
res = main.get("resources", {})
if not res.get("requests", {}).get("memory") or not res.get("limits", {}).get("memory"):
    fail("mxcp: memory requests and limits must be set")

for s in by_kind["Service"]:
    if s["spec"]["selector"] != {k: labels[k] for k in s["spec"]["selector"]}:
        fail("Service: selector does not select the Deployment's pods")
    for p in s["spec"]["ports"]:
        t = p.get("targetPort")
        if ports.get(t, t) != port:
            fail(f"Service: targetPort {t} is not mxcp's port")
for p in by_kind["PodDisruptionBudget"]:
    if p["spec"]["selector"]["matchLabels"] != {k: labels[k] for k in p["spec"]["selector"]["matchLabels"]}:
        fail("PodDisruptionBudget: selector does not select the Deployment's pods")
for h in by_kind["HorizontalPodAutoscaler"]:
    ref = h["spec"]["scaleTargetRef"]
    if ref["kind"] != "Deployment" or ref["name"] != dep["metadata"]["name"]:
        fail("HorizontalPodAutoscaler: scaleTargetRef is not the Deployment")
    if not res.get("requests", {}).get("cpu"):
        fail("HorizontalPodAutoscaler on CPU needs a cpu request")

# compose.yml: the health check, volumes, environment.
compose = next(v[0] for k, v in parsed.items() if k.endswith("/deploy/compose.yml"))
m = compose["services"]["mxcp"]
test = m["healthcheck"]["test"]
if "curl" in " ".join(test):
    fail("compose: the health check must not need curl")
url = next((t for t in test if t.startswith("http://")), "http://127.0.0.1:8000/health")
probes.add(re.sub(r"^http://[^/]+", "", url))
targets = {v.split(":")[1] for v in m["volumes"] if not v.lstrip().startswith("#")}
for path in ("/app/data", "/app/audit", "/config/config.yml"):
    if path not in targets:
        fail(f"compose: no volume at {path}")
for n in m["environment"]:
    if n not in mxcp_env and n not in ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "DB_HOST", "DB_USER",
                                       "DB_PASSWORD"):
        fail(f"compose: env {n} is not a variable mxcp reads")
if not m.get("read_only"):
    fail("compose: read_only root file system expected")
if "nginx" not in compose["services"]:
    fail("compose: no nginx service")

json.dump([{k: v for k, v in d.items() if k != "__file"} | {"__file": d["__file"]} for d in docs],
          open(os.path.join(out, "k8s.json"), "w"))
with open(os.path.join(out, "probes"), "w") as f:
    f.write("\n".join(sorted(p for p in probes if p)) + "\n")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"manifests: {len(docs)} Kubernetes objects and compose.yml agree with mxcp "
      f"(port {port}, probes {', '.join(sorted(p for p in probes if p))})")
