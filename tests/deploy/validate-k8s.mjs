// Validates Kubernetes manifests offline against the Kubernetes and Prometheus Operator API
// schemas, the way an API server with strict field validation would:
//   1. every object's apiVersion/kind must be known (kubernetes-models,
//      @kubernetes-models/prometheus-operator);
//   2. its JSON-schema validation (types, required fields, enums, patterns) must pass;
//   3. TypeScript must accept it as an object literal of the API type: this catches unknown and
//      misspelt fields at any depth (`securityContex`), which the JSON schemas let through;
//   4. the thoth-exporter container of every workload must carry the hardening and health checks
//      the deployment promises (non-root, read-only root filesystem, no privilege escalation,
//      ALL capabilities dropped, /health probes, requests and limits);
//   5. references inside the set must resolve: Service selectors find a pod template and its
//      target ports, ServiceMonitors find a Service port, PodMonitors find a pod port, pods find
//      their ConfigMaps.
// Usage: node validate-k8s.mjs [--no-refs] FILE... (multi-document YAML). Exit 1 on any finding.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const toolsDir = process.env.THOTH_DEPLOY_TOOLS || path.join(here, "tools");
const modulesDir = path.join(toolsDir, "node_modules");
const requireTools = createRequire(path.join(toolsDir, "package.json"));
const YAML = requireTools("yaml");
const ts = requireTools("typescript");

const args = process.argv.slice(2);
const checkRefs = !args.includes("--no-refs");
const files = args.filter((a) => !a.startsWith("--"));
if (files.length === 0) {
  console.error("usage: validate-k8s.mjs [--no-refs] FILE...");
  process.exit(2);
}

const findings = [];
const objects = []; // {where, obj, module, kind}

// apiVersion → the package folder that models it.
function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  docs.forEach((doc, i) => {
    const where = `${file} document ${i + 1}`;
    if (doc.errors.length) {
      for (const e of doc.errors) findings.push(`${where}: YAML: ${e.message}`);
      return;
    }
    const obj = doc.toJS({ maxAliasCount: 100 });
    if (obj === null || obj === undefined) return; // empty document (e.g. a disabled template)
    if (typeof obj !== "object" || Array.isArray(obj)) {
      findings.push(`${where}: not a Kubernetes object`);
      return;
    }
    const name = obj.metadata?.name ?? "(no name)";
    const label = `${where} (${obj.kind} ${name})`;
    const mod = modelPath(obj.apiVersion, obj.kind);
    const js = mod && path.join(modulesDir, `${mod}.js`);
    if (!js || !fs.existsSync(js)) {
      findings.push(`${label}: no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
      return;
    }
    objects.push({ where: label, obj, mod, file: js });
  });
}

// 2. JSON-schema validation through the models.
for (const o of objects) {
  const mod = await import(pathToFileURL(o.file).href);
  const Model = mod[o.obj.kind];
  try {
    new Model(o.obj).validate();
  } catch (e) {
    findings.push(`${o.where}: schema: ${e.message}`);
  }
  if (!o.obj.metadata?.name) findings.push(`${o.where}: metadata.name is missing`);
}

// 3. Strict fields through the TypeScript types: one typed constant per object, one per line.
if (objects.length) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thoth-k8s-"));
  try {
    fs.symlinkSync(modulesDir, path.join(dir, "node_modules"), "dir");
    const lines = objects.map((o, i) => {
      const iface = `I${o.obj.kind}`;
      return `import type { ${iface} as T${i} } from "${o.mod}";`;
    });
    const first = lines.length;
    objects.forEach((o, i) => lines.push(`export const o${i}: T${i} = ${JSON.stringify(o.obj)};`));
    const source = path.join(dir, "manifests.ts");
    fs.writeFileSync(source, lines.join("\n") + "\n");
    const program = ts.createProgram([source], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
      if (d.file && d.start !== undefined) {
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        const o = objects[line - first];
        const at = d.file.text.slice(d.start, d.start + 40).split(/[":,{]/).filter(Boolean)[0];
        findings.push(`${o ? o.where : `line ${line + 1}`}: field check near "${at}" ` +
                      `(column ${character}): ${msg}`);
      } else {
        findings.push(`typescript: ${msg}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Pod templates of the workloads in the set.
function podSpecs() {
  const out = [];
  for (const o of objects) {
    const k = o.obj.kind;
    if (k === "Pod") out.push({ o, labels: o.obj.metadata?.labels ?? {}, spec: o.obj.spec ?? {} });
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(k)) {
      const t = o.obj.spec?.template ?? {};
      out.push({ o, labels: t.metadata?.labels ?? {}, spec: t.spec ?? {} });
    }
  }
  return out;
}

// 4. The exporter container's promises.
for (const { o, spec } of podSpecs()) {
  for (const c of spec.containers ?? []) {
    if (c.name !== "thoth-exporter") continue;
    const at = `${o.where}: container thoth-exporter`;
    const sc = { ...(spec.securityContext ?? {}), ...(c.securityContext ?? {}) };
    if (sc.runAsNonRoot !== true) findings.push(`${at}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) findings.push(`${at}: runs as uid 0`);
    if (c.securityContext?.readOnlyRootFilesystem !== true) {
      findings.push(`${at}: readOnlyRootFilesystem is not true`);
    }
    if (c.securityContext?.allowPrivilegeEscalation !== false) {
      findings.push(`${at}: allowPrivilegeEscalation is not false`);
    }
    if (c.securityContext?.privileged === true) findings.push(`${at}: privileged`);
    if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL")) {
      findings.push(`${at}: capabilities are not dropped (drop: [ALL])`);
    }
    if (c.securityContext?.capabilities?.add?.length) findings.push(`${at}: adds capabilities`);
    // Serving native TLS that requires client certificates (a web config), the kubelet, which
    // has none, can only check that the port accepts: a TCP probe on the metrics port.
    const nativeTls = (c.args ?? []).some((a) => String(a).startsWith("--web.config.file="));
    for (const probe of ["livenessProbe", "readinessProbe"]) {
      if (nativeTls && c[probe]?.tcpSocket?.port === "http-metrics") continue;
      if (c[probe]?.httpGet?.path !== "/health") findings.push(`${at}: ${probe} is not /health`);
    }
    for (const kind of ["requests", "limits"]) {
      for (const r of ["cpu", "memory"]) {
        if (c.resources?.[kind]?.[r] === undefined) findings.push(`${at}: no ${kind}.${r}`);
      }
    }
    const ports = (c.ports ?? []).map((p) => p.containerPort);
    if (!ports.length) findings.push(`${at}: declares no port`);
    // A probe's named port must be one of the container's.
    for (const probe of ["livenessProbe", "readinessProbe"]) {
      const port = c[probe]?.httpGet?.port;
      if (typeof port === "string" && !(c.ports ?? []).some((p) => p.name === port)) {
        findings.push(`${at}: ${probe} names port ${port}, which the container does not have`);
      }
    }
  }
}

// 5. References within the set.
function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}
if (checkRefs) {
  const pods = podSpecs();
  const services = objects.filter((o) => o.obj.kind === "Service");
  const configMaps = new Set(
    objects.filter((o) => o.obj.kind === "ConfigMap").map((o) => o.obj.metadata?.name));
  for (const s of services) {
    const sel = s.obj.spec?.selector;
    const targets = pods.filter((p) => matches(sel, p.labels));
    if (!targets.length) {
      findings.push(`${s.where}: selector ${JSON.stringify(sel)} matches no pod template`);
      continue;
    }
    for (const port of s.obj.spec?.ports ?? []) {
      if (typeof port.targetPort !== "string") continue;
      const ok = targets.some((p) => (p.spec.containers ?? []).some(
        (c) => (c.ports ?? []).some((cp) => cp.name === port.targetPort)));
      if (!ok) findings.push(`${s.where}: targetPort ${port.targetPort} is no container port`);
    }
  }
  for (const m of objects.filter((o) => o.obj.kind === "ServiceMonitor")) {
    const svc = services.filter((s) => matches(m.obj.spec?.selector?.matchLabels,
                                               s.obj.metadata?.labels));
    if (!svc.length) findings.push(`${m.where}: selector matches no Service`);
    for (const ep of m.obj.spec?.endpoints ?? []) {
      if (!svc.some((s) => (s.obj.spec?.ports ?? []).some((p) => p.name === ep.port))) {
        findings.push(`${m.where}: endpoint port ${ep.port} is no port of the selected Service`);
      }
    }
  }
  for (const m of objects.filter((o) => o.obj.kind === "PodMonitor")) {
    const sel = m.obj.spec?.selector?.matchLabels;
    const targets = pods.filter((p) => matches(sel, p.labels));
    if (!targets.length) findings.push(`${m.where}: selector matches no pod template`);
    for (const ep of m.obj.spec?.podMetricsEndpoints ?? []) {
      const ok = targets.some((p) => (p.spec.containers ?? []).some(
        (c) => (c.ports ?? []).some((cp) => cp.name === ep.port)));
      if (targets.length && !ok) findings.push(`${m.where}: port ${ep.port} is no pod port`);
    }
  }
  for (const { o, spec } of pods) {
    for (const v of spec.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) {
        findings.push(`${o.where}: volume ${v.name} uses ConfigMap ${v.configMap.name}, ` +
                      "which is not in the set");
      }
    }
  }
}

for (const f of findings) console.log(`FAIL ${f}`);
console.log(`validate-k8s: ${objects.length} objects from ${files.length} file(s), ` +
            `${findings.length} finding(s)`);
process.exit(findings.length ? 1 : 0);
