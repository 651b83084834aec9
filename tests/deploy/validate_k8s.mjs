// tests/deploy/validate_k8s.mjs — every object of deploy/k8s/*.yaml (as JSON,
// from check_manifests.py) validated against the Kubernetes OpenAPI schemas
// that kubernetes-models compiles. Usage: node validate_k8s.mjs k8s.json
import { readFileSync } from "node:fs";

const MODELS = {
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Secret": "kubernetes-models/v1/Secret",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
};
const docs = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bad = 0;
for (const d of docs) {
  const file = d.__file;
  delete d.__file;
  const key = `${d.apiVersion}/${d.kind}`;
  const mod = MODELS[key];
  if (!mod) {
    console.log(`${file}: ${key}: no schema known here`);
    bad++;
    continue;
  }
  const cls = Object.values(await import(mod)).find((v) => typeof v === "function");
  try {
    new cls(d).validate();
  } catch (e) {
    console.log(`${file}: ${key} ${d.metadata?.name}: ${e.message}`);
    bad++;
  }
}
if (bad) process.exit(1);
console.log(`schemas: ${docs.length} objects valid (kubernetes-models)`);
