import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, arr, dockerCompose, obj, parseYaml, readRepoFile } from './tools';

const COMPOSE_FILE = 'deploy/compose/docker-compose.yml';

/** Host ports a service publishes, from compose's short ("127.0.0.1:8083:8083/tcp") or long syntax. */
function publishedPorts(service: Record<string, unknown>): number[] {
  if (service.ports === undefined) return [];
  return arr(service.ports, 'ports').map((p) => {
    if (typeof p === 'object' && p !== null) return Number((p as Record<string, unknown>).published);
    const parts = String(p)
      .replace(/\/\w+$/, '')
      .split(':');
    return Number(parts.length >= 2 ? parts[parts.length - 2] : parts[0]);
  });
}

describe('compose stack (deploy/compose)', () => {
  // `config` resolves and validates the file exactly as `up` would read it, without a Docker engine.
  const res = dockerCompose(['-f', COMPOSE_FILE, 'config']);
  const config = res.status === 0 ? obj(parseYaml(res.stdout, 'docker-compose config output')[0], 'config') : {};
  const services = res.status === 0 ? obj(config.services, 'services') : {};
  const service = (name: string): Record<string, unknown> => obj(services[name], `services.${name}`);

  it('passes `docker-compose config`', () => {
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(Object.keys(services).sort()).toEqual(['kafka', 'mosquitto', 'proxy', 'registry', 'worker']);
  });

  it('runs the official images: Kafka 4.1.1 (KRaft), Apicurio 3.3.3, Mosquitto 2', () => {
    expect(service('kafka').image).toBe('apache/kafka:4.1.1');
    expect(obj(service('kafka').environment, 'kafka.environment').KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(service('registry').image).toBe('apicurio/apicurio-registry:3.3.3');
    expect(service('mosquitto').image).toBe('eclipse-mosquitto:2');
  });

  it('builds scalable workers from deploy/docker/Dockerfile with the repository as context', () => {
    const worker = service('worker');
    const build = obj(worker.build, 'worker.build');
    expect(path.resolve(String(build.context))).toBe(REPO_ROOT);
    expect(build.dockerfile).toBe('deploy/docker/Dockerfile');
    // A fixed name or host port would make `--scale worker=N` fail for N > 1.
    expect(worker.container_name).toBeUndefined();
    expect(publishedPorts(worker)).toEqual([]);
    expect(obj(worker.deploy, 'worker.deploy').replicas).toBe(3);
    expect(worker.healthcheck).toBeDefined();
  });

  it('points the workers at the stack services and one cluster group', () => {
    const env = obj(service('worker').environment, 'worker.environment');
    expect(String(env.FERRY_KAFKA_BOOTSTRAP).split(':')[0]).toBe('kafka');
    const registryUrl = new URL(String(env.FERRY_SCHEMA_REGISTRY_URL));
    expect(registryUrl.hostname).toBe('registry');
    expect(registryUrl.pathname).toBe('/apis/ccompat/v7');
    expect(env.FERRY_GROUP_ID).toEqual(expect.any(String));
    // Advertised host must be each container's own name, so it is left to the image entrypoint.
    expect(env.FERRY_ADVERTISED_HOST).toBeUndefined();
  });

  it('puts one proxy on host port 8083 in front of the workers', () => {
    const proxy = service('proxy');
    expect(publishedPorts(proxy)).toEqual([8083]);
    expect(obj(obj(proxy.depends_on, 'proxy.depends_on').worker, 'proxy.depends_on.worker').condition).toBe(
      'service_healthy',
    );
    const nginx = readRepoFile('deploy/compose/nginx.conf');
    expect(nginx).toMatch(/server\s+worker:8083\s+resolve;/);
    expect(nginx).toMatch(/resolver\s+127\.0\.0\.11/);
  });

  it('waits only on health checks that exist', () => {
    const waits: string[] = [];
    for (const [name, raw] of Object.entries(services)) {
      const deps = obj(raw, name).depends_on;
      if (deps === undefined) continue;
      for (const [dep, cond] of Object.entries(obj(deps, `${name}.depends_on`))) {
        if (obj(cond, `${name}.depends_on.${dep}`).condition !== 'service_healthy') continue;
        waits.push(`${name}->${dep}`);
        expect({ dep, healthcheck: service(dep).healthcheck }).toEqual({ dep, healthcheck: expect.anything() });
      }
    }
    expect(waits).toEqual(expect.arrayContaining(['worker->kafka', 'registry->kafka', 'proxy->worker']));
  });

  it('mounts files that exist, and Mosquitto keeps every queued message', () => {
    const mounts = Object.values(services).flatMap((s) => {
      const volumes = obj(s, 'service').volumes;
      return volumes === undefined ? [] : arr(volumes, 'volumes').map((v) => String(v).split(':')[0] ?? '');
    });
    const bindMounts = mounts.filter((m) => m.startsWith('/'));
    expect(bindMounts.length).toBeGreaterThanOrEqual(3);
    for (const m of bindMounts) expect({ m, exists: existsSync(m) }).toEqual({ m, exists: true });

    const mosquitto = readRepoFile('deploy/compose/mosquitto.conf');
    for (const line of ['listener 1883', 'allow_anonymous true', 'persistence true', 'max_queued_messages 0']) {
      expect(mosquitto.split('\n')).toContain(line);
    }
    const workerConfig = obj(JSON.parse(readRepoFile('deploy/compose/worker.json')), 'worker.json');
    expect(workerConfig['group.id']).toBe(obj(service('worker').environment, 'env').FERRY_GROUP_ID);
  });
});
