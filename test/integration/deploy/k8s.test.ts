import { readdirSync } from 'node:fs';
import { arr, obj, parseYaml, readRepoFile } from './tools';

type Doc = Record<string, unknown>;

const DIR = 'deploy/k8s';
const files = readdirSync(`${__dirname}/../../../${DIR}`).filter((f) => /\.ya?ml$/.test(f));
const docs = files.flatMap((file) =>
  parseYaml(readRepoFile(`${DIR}/${file}`), `${DIR}/${file}`).map((d) => ({ file, doc: obj(d, file) })),
);
const resources = docs.filter(({ doc }) => doc.kind !== 'Kustomization');

function only(kind: string): Doc {
  const found = resources.filter(({ doc }) => doc.kind === kind);
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${kind} in ${DIR}, found ${found.length}`);
  return found[0].doc;
}
const name = (doc: Doc): unknown => obj(doc.metadata, 'metadata').name;
const at = (doc: Doc, ...keys: string[]): Doc =>
  keys.reduce<Doc>((cur, key) => obj(cur[key], `${String(doc.kind)}.${keys.join('.')}`), doc);

/** Every key/value of `selector` is among `labels`: the selector picks these pods. */
function selects(selector: Doc, labels: Doc): boolean {
  return Object.entries(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  const deployment = only('Deployment');
  const podLabels = at(deployment, 'spec', 'template', 'metadata', 'labels');
  const podSpec = at(deployment, 'spec', 'template', 'spec');
  const containers = arr(podSpec.containers, 'containers').map((c) => obj(c, 'container'));
  const worker = containers[0] as Doc;

  it('has apiVersion, kind and metadata.name in every document', () => {
    expect(resources.length).toBeGreaterThanOrEqual(6);
    for (const { file, doc } of docs) {
      expect({ file, apiVersion: doc.apiVersion, kind: doc.kind }).toEqual({
        file,
        apiVersion: expect.stringMatching(/\S/),
        kind: expect.stringMatching(/^[A-Z]/),
      });
      if (doc.kind !== 'Kustomization') expect({ file, name: name(doc) }).toEqual({ file, name: expect.any(String) });
    }
  });

  it('lists every manifest, and only existing ones, in kustomization.yaml', () => {
    const kustomization = docs.find(({ doc }) => doc.kind === 'Kustomization');
    expect(kustomization).toBeDefined();
    const listed = arr(kustomization?.doc.resources, 'resources').map(String).sort();
    expect(listed).toEqual(files.filter((f) => f !== kustomization?.file).sort());
  });

  it('runs a Deployment of 3 whose selector matches its pod template', () => {
    expect(deployment.apiVersion).toBe('apps/v1');
    expect(at(deployment, 'spec').replicas).toBe(3);
    expect(selects(at(deployment, 'spec', 'selector', 'matchLabels'), podLabels)).toBe(true);
  });

  it('checks readiness on /health but liveness somewhere that survives a Kafka outage', () => {
    const readiness = at(worker, 'readinessProbe');
    expect(at(readiness, 'httpGet').path).toBe('/health');
    const liveness = at(worker, 'livenessProbe');
    expect(liveness.httpGet ?? liveness.tcpSocket ?? liveness.exec ?? liveness.grpc).toBeDefined();
    if (liveness.httpGet !== undefined) expect(at(liveness, 'httpGet').path).not.toMatch(/^\/health\/?$/);
  });

  it('advertises each pod by itself through the downward API', () => {
    const env = arr(worker.env, 'env').map((e) => obj(e, 'env'));
    const advertised = env.find((e) => e.name === 'FERRY_ADVERTISED_HOST');
    expect(advertised).toBeDefined();
    expect(at(at(advertised as Doc, 'valueFrom'), 'fieldRef').fieldPath).toMatch(/^(status\.podIP|metadata\.name)$/);
  });

  it('runs as non-root with requests, limits and a grace period beyond the default 30 s', () => {
    const podSecurity = at(podSpec, 'securityContext');
    expect(podSecurity.runAsNonRoot).toBe(true);
    expect(podSecurity.runAsUser).toEqual(expect.any(Number));
    expect(podSecurity.runAsUser).not.toBe(0);
    expect(at(worker, 'securityContext').allowPrivilegeEscalation).toBe(false);
    // The HPA's CPU utilisation is relative to the CPU request: without one it cannot scale.
    expect(at(worker, 'resources', 'requests').cpu).toBeDefined();
    expect(at(worker, 'resources', 'limits').memory).toBeDefined();
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  it('reads its ConfigMap and Secret by names and keys that exist', () => {
    const configMap = only('ConfigMap');
    const data = at(configMap, 'data');
    const workerJson = obj(JSON.parse(String(data['worker.json'])), 'worker.json');
    expect(workerJson['group.id']).toEqual(expect.any(String));

    const volumes = arr(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume'));
    const mounted = volumes.filter((v) => v.configMap !== undefined).map((v) => at(v, 'configMap').name);
    expect(mounted).toContain(name(configMap));
    for (const e of arr(worker.env, 'env').map((x) => obj(x, 'env'))) {
      const ref = (e.valueFrom as Doc | undefined)?.configMapKeyRef as Doc | undefined;
      if (ref) expect({ ref: ref.name, key: ref.key, found: String(ref.key) in data }).toMatchObject({ found: true });
    }

    const secret = only('Secret');
    const secretRefs = arr(worker.envFrom, 'envFrom').map((e) => (obj(e, 'envFrom').secretRef as Doc)?.name);
    expect(secretRefs).toContain(name(secret));
    // An example Secret must not look like a real one.
    for (const value of Object.values(at(secret, 'stringData'))) expect(String(value)).toMatch(/PLACEHOLDER/);
  });

  it('exposes port 8083 through a ClusterIP Service that selects the worker pods', () => {
    const service = only('Service');
    expect(at(service, 'spec').type ?? 'ClusterIP').toBe('ClusterIP');
    expect(selects(at(service, 'spec', 'selector'), podLabels)).toBe(true);
    const port = obj(arr(at(service, 'spec').ports, 'ports')[0], 'port');
    expect(port.port).toBe(8083);
    const containerPorts = arr(worker.ports, 'ports').map((p) => obj(p, 'port'));
    expect(containerPorts.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort)).toBe(true);
  });

  it('keeps at least 2 of 3 workers through voluntary disruptions', () => {
    const pdb = only('PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    const spec = at(pdb, 'spec');
    expect(selects(at(spec, 'selector', 'matchLabels'), podLabels)).toBe(true);
    const replicas = Number(at(deployment, 'spec').replicas);
    const remaining =
      spec.minAvailable !== undefined ? Number(spec.minAvailable) : replicas - Number(spec.maxUnavailable);
    expect(remaining).toBeGreaterThanOrEqual(2);
  });

  it('autoscales the Deployment on CPU', () => {
    const hpa = only('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    const spec = at(hpa, 'spec');
    expect(at(spec, 'scaleTargetRef')).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: name(deployment),
    });
    expect(Number(spec.minReplicas)).toBeGreaterThanOrEqual(1);
    expect(Number(spec.maxReplicas)).toBeGreaterThanOrEqual(Number(spec.minReplicas));
    const metrics = arr(spec.metrics, 'metrics').map((m) => obj(m, 'metric'));
    expect(metrics.some((m) => m.type === 'Resource' && at(m, 'resource').name === 'cpu')).toBe(true);
  });
});
