import { parseWorkerConfig, WORKER_ENV_ALIASES } from '../../../runtime/config';
import workerSchema from '../../../schemas/json/worker-config.schema.json';
import { arr, dockerCompose, obj, parseYaml, readRepoFile } from './tools';

/**
 * The worker settings the deployment artifacts ship go through the worker's own parser, so an unknown key or a
 * misspelt FERRY_* variable (which the worker would silently ignore) fails here rather than in someone's cluster.
 */

type Doc = Record<string, unknown>;

/**
 * runtime/main.ts exits by force task.shutdown.graceful.timeout.ms + 15 s after SIGTERM; Docker's and the kubelet's
 * SIGKILL must come later than that, or a slow but healthy stop is cut short.
 */
const FORCED_EXIT_MARGIN_MS = 15_000;

const patterns = Object.keys(workerSchema.patternProperties).map((p) => new RegExp(p));

/** The worker key an environment variable sets, or undefined when the worker ignores that variable. */
function keyOf(envName: string): string | undefined {
  const key = WORKER_ENV_ALIASES[envName] ?? envName.slice('FERRY_'.length).toLowerCase().replace(/_/g, '.');
  return key in workerSchema.properties || patterns.some((re) => re.test(key)) ? key : undefined;
}

/** compose durations as `docker-compose config` prints them: "1m", "1m30s", "45s". */
function seconds(duration: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!m || duration === '') throw new Error(`not a compose duration: ${duration}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe('worker settings shipped with the deployment artifacts', () => {
  it('compose: worker.json and the worker environment parse, and stop_grace_period outlasts task shutdown', () => {
    const res = dockerCompose(['-f', 'deploy/compose/docker-compose.yml', 'config']);
    expect(res.status).toBe(0);
    const worker = obj(obj(obj(parseYaml(res.stdout, 'compose config')[0], 'config').services, 'services').worker, 'w');
    const env = Object.fromEntries(
      Object.entries(obj(worker.environment, 'worker.environment')).map(([k, v]) => [k, String(v)]),
    );
    for (const name of Object.keys(env)) expect({ name, key: keyOf(name) }).toEqual({ name, key: expect.any(String) });

    const file = JSON.parse(readRepoFile('deploy/compose/worker.json')) as unknown;
    // The entrypoint supplies the container's host name; stand in for it.
    const config = parseWorkerConfig(file, { ...env, FERRY_ADVERTISED_HOST: 'c0ffee123456' });
    expect(config).toMatchObject({
      bootstrapServers: 'kafka:9092',
      schemaRegistryUrl: 'http://registry:8080/apis/ccompat/v7',
      restHost: '0.0.0.0',
      restPort: 8083,
      advertisedHost: 'c0ffee123456',
      advertisedPort: 8083,
      // One broker in the stack: internal topics cannot have more replicas than that.
      replicationFactor: 1,
    });
    expect(seconds(String(worker.stop_grace_period)) * 1000).toBeGreaterThan(
      config.shutdownTimeoutMs + FORCED_EXIT_MARGIN_MS,
    );
  });

  it('k8s: the ConfigMap, pod environment and example Secret parse, and the grace period outlasts task shutdown', () => {
    const load = (file: string): Doc => obj(parseYaml(readRepoFile(`deploy/k8s/${file}`), file)[0], file);
    const configMap = obj(load('configmap.yaml').data, 'ConfigMap data');
    const secret = obj(load('secret.yaml').stringData, 'Secret stringData');
    const podSpec = obj(obj(obj(load('deployment.yaml').spec, 'spec').template, 'template').spec, 'pod spec');
    const container = obj(arr(podSpec.containers, 'containers')[0], 'container');

    const env: Record<string, string> = {};
    for (const raw of arr(container.env, 'env')) {
      const e = obj(raw, 'env');
      const from = e.valueFrom as Doc | undefined;
      const cmKey = (from?.configMapKeyRef as Doc | undefined)?.key;
      // Downward API values exist only in a pod; a pod IP stands in for them.
      let value = '10.1.2.3';
      if (typeof e.value === 'string') value = e.value;
      else if (typeof cmKey === 'string') value = String(configMap[cmKey]);
      env[String(e.name)] = value;
    }
    for (const [k, v] of Object.entries(secret)) env[k] = String(v);
    for (const name of Object.keys(env)) expect({ name, key: keyOf(name) }).toEqual({ name, key: expect.any(String) });

    const config = parseWorkerConfig(JSON.parse(String(configMap['worker.json'])), env);
    expect(config).toMatchObject({ restPort: 8083, advertisedHost: '10.1.2.3', advertisedPort: 8083 });
    expect(config.schemaRegistryUrl).toMatch(/\/apis\/ccompat\/v7$/);
    expect(config.converterDefaults['value.converter.basic.auth.user.info']).toBe(
      secret.FERRY_VALUE_CONVERTER_BASIC_AUTH_USER_INFO,
    );
    expect(Number(podSpec.terminationGracePeriodSeconds) * 1000).toBeGreaterThan(
      config.shutdownTimeoutMs + FORCED_EXIT_MARGIN_MS,
    );
  });
});
