// Validates rendered Kubernetes manifests (a multi-document YAML stream on stdin, as
// `kubectl kustomize` prints it) against the JSON schemas of the Kubernetes API (1.27, from the
// kubernetes-models package) and of the Prometheus Operator's CRDs
// (@kubernetes-models/prometheus-operator): wrong types, missing required fields, unknown
// enum values and unknown fields fail. Exit 1 with every problem listed.
//   kubectl kustomize deploy/kubernetes/base | node deploy/kubernetes/validate/validate.mjs
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion -> the module that exports a model class per kind.
function moduleOf(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  }
  return `kubernetes-models/${apiVersion}`;
}

const documents = parseAllDocuments(readFileSync(0, "utf8"));
let problems = 0;
let checked = 0;
for (const document of documents) {
  if (document.errors.length > 0) {
    for (const error of document.errors) console.error(`YAML: ${error.message}`);
    problems++;
    continue;
  }
  const manifest = document.toJS();
  if (manifest === null) continue;
  const name = `${manifest.kind}/${manifest.metadata?.name}`;
  let Model;
  try {
    Model = (await import(moduleOf(manifest.apiVersion)))[manifest.kind];
  } catch (e) {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    console.error(`${name}: no schema for apiVersion ${manifest.apiVersion}, kind ${manifest.kind}`);
    problems++;
    continue;
  }
  try {
    new Model(manifest).validate();
    checked++;
    console.log(`  valid: ${manifest.apiVersion} ${name}`);
  } catch (e) {
    problems++;
    console.error(`${name}: ${e.message}`);
    for (const error of e.errors ?? []) {
      console.error(`  ${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`);
    }
  }
}
console.log(`${checked} manifests valid, ${problems} with problems`);
process.exit(problems > 0 ? 1 : 0);
