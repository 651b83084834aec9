// tests/deploy/yaml_to_json.mjs — YAML files (every document of each) as one
// JSON object {file: [doc, …]} on stdout, for check_manifests.py (which then
// needs no PyYAML). The YAML files a ConfigMap carries (data keys ending in
// .yml/.yaml) are parsed too, as "configmap:KEY". Usage: node yaml_to_json.mjs FILE…
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const out = {};
for (const f of process.argv.slice(2)) {
  out[f] = parseAllDocuments(readFileSync(f, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${f}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((d) => d != null);
}
for (const docs of Object.values({ ...out })) {
  for (const d of docs) {
    if (d.kind !== "ConfigMap") continue;
    for (const [k, v] of Object.entries(d.data ?? {})) {
      if (/\.ya?ml$/.test(k)) out[`configmap:${k}`] = [parseAllDocuments(v)[0].toJS()];
    }
  }
}
process.stdout.write(JSON.stringify(out));
