import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freshCluster, rest, stackEnv, startWorker, uniqueId, type WorkerHandle } from '../../helpers';

/**
 * Issue #21: whoever can reach the REST API must not read the worker's files, environment or stored secrets through
 * it. Each path of the issue, against a real worker; the markers are unique strings that must never come back.
 */
describe('no file, environment value or stored secret leaves through the REST API', () => {
  const id = uniqueId('exfil');
  const FILE_MARKER = `file-marker-${id}`;
  const ENV_MARKER = `env-marker-${id}`;
  const ALLOWED_MARKER = `allowed-marker-${id}`;
  const SECRET_MARKER = `mqtt-pw-${id}`;
  const REG_MARKER = `registry-user:registry-pw-${id}`;
  const SOURCE = 'MqttSourceConnector';
  let dir: string;
  let allowed: string;
  let w: WorkerHandle;
  const { mqtt } = stackEnv();

  const source = (extra: Record<string, string> = {}): Record<string, string> => ({
    name: `${id}-validated`,
    'connector.class': SOURCE,
    'mqtt.server.uri': mqtt,
    'mqtt.topics': `${id}/#`,
    'kafka.topic': `${id}.in`,
    ...extra,
  });
  /** Validate, asserting on the way that nothing planted comes back; returns the errors by key. */
  const validate = async (config: Record<string, string>): Promise<Record<string, string[]>> => {
    const res = await rest(w.url, 'PUT', `/connector-plugins/${SOURCE}/config/validate`, config);
    expect(res.status).toBe(200);
    expectClean(JSON.stringify(res.body));
    const out: Record<string, string[]> = {};
    for (const c of res.body.configs as { value: { name: string; errors: string[] } }[])
      if (c.value.errors.length > 0) out[c.value.name] = c.value.errors;
    return out;
  };
  const expectClean = (text: string): void => {
    for (const m of [FILE_MARKER, ENV_MARKER, ALLOWED_MARKER, SECRET_MARKER, REG_MARKER, 'x:0:0:'])
      expect(text).not.toContain(m);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-exfil-'));
    allowed = path.join(dir, 'allowed');
    mkdirSync(allowed);
    writeFileSync(path.join(dir, 'outside.properties'), `k=${FILE_MARKER}\n`);
    writeFileSync(path.join(allowed, 'app.properties'), `topic=${ALLOWED_MARKER} not a topic\n`);
    execFileSync('mkfifo', [path.join(allowed, 'fifo.properties')]);
    w = await startWorker(freshCluster('exfil'), {
      env: {
        FERRY_CONFIG_PROVIDERS_FILE_ALLOWED_PATHS: `${allowed},/dev/zero`,
        FERRY_CONFIG_PROVIDERS_ENV_ALLOWED_NAMES: 'FERRY_EXFIL_ALLOWED_*',
        FERRY_EXFIL_SECRET: ENV_MARKER,
        FERRY_EXFIL_ALLOWED_TOPIC: `${ALLOWED_MARKER} env`,
      },
    });
  });
  afterAll(async () => {
    await w?.stop();
    expectClean(w?.output() ?? '');
    rmSync(dir, { recursive: true, force: true });
  });

  it('${file:/etc/passwd:root} and files outside the allow-list: refused by name, content never quoted', async () => {
    const errors = await validate(
      source({
        'kafka.topic': '${file:/etc/passwd:root}',
        'mqtt.client.id.prefix': `\${file:${path.join(dir, 'outside.properties')}:k}`,
        'mqtt.topics': `\${file:${path.join(allowed, '..', 'outside.properties')}:k}`,
      }),
    );
    expect(errors['kafka.topic']).toEqual(["file '/etc/passwd' is not inside config.providers.file.allowed.paths"]);
    expect(errors['mqtt.client.id.prefix']?.[0]).toMatch(/is not inside config.providers.file.allowed.paths/);
    expect(errors['mqtt.topics']?.[0]).toMatch(/is not inside config.providers.file.allowed.paths/);
  });

  it('${env:…} outside the allow-list is refused; an allowed value is checked but never quoted', async () => {
    const errors = await validate(source({ 'kafka.topic': '${env:FERRY_EXFIL_SECRET}' }));
    expect(errors['kafka.topic']).toEqual([
      "environment variable 'FERRY_EXFIL_SECRET' is not in config.providers.env.allowed.names",
    ]);
    const allowedErrors = await validate(source({ 'kafka.topic': '${env:FERRY_EXFIL_ALLOWED_TOPIC}' }));
    expect(allowedErrors['kafka.topic']?.[0]).toContain('[hidden]');
    const fromFile = await validate(
      source({ 'kafka.topic': `\${file:${path.join(allowed, 'app.properties')}:topic}` }),
    );
    expect(fromFile['kafka.topic']?.[0]).toContain('is not a valid Kafka topic name');
  });

  it('/dev/zero and a FIFO are refused at once and the worker keeps answering', async () => {
    const errors = await validate(
      source({
        'kafka.topic': '${file:/dev/zero:x}',
        'mqtt.client.id.prefix': `\${file:${path.join(allowed, 'fifo.properties')}:x}`,
      }),
    );
    expect(errors['kafka.topic']).toEqual(["'/dev/zero' is not a regular file"]);
    expect(errors['mqtt.client.id.prefix']?.[0]).toMatch(/is not a regular file/);
    const schema = await validate(source({ 'mqtt.value.format': 'json', 'mqtt.value.schema.file': '/dev/zero' }));
    expect(schema['mqtt.value.schema.file']).toEqual(['file "/dev/zero" is not a regular file']);
    expect((await rest(w.url, 'GET', '/health')).status).toBe(200);
  });

  it('mqtt.value.schema.file=/etc/passwd names the file without quoting it', async () => {
    const errors = await validate(source({ 'mqtt.value.format': 'json', 'mqtt.value.schema.file': '/etc/passwd' }));
    expect(errors['mqtt.value.schema.file']).toEqual(['could not parse "/etc/passwd" as an Avro schema']);
  });

  it('"[hidden]" or a PATCH cannot send a stored password to a new server URI', async () => {
    const name = `${id}-hidden`;
    const created = await rest(w.url, 'PUT', `/connectors/${name}/config`, {
      ...source({ name }),
      'mqtt.username': 'ferry',
      'mqtt.password': SECRET_MARKER,
    });
    expect(created.status).toBe(201);
    const shown = await rest(w.url, 'GET', `/connectors/${name}/config`);
    expect(shown.body['mqtt.password']).toBe('[hidden]');
    const elsewhere = 'mqtt://127.0.0.2:1884';
    const put = await rest(w.url, 'PUT', `/connectors/${name}/config`, { ...shown.body, 'mqtt.server.uri': elsewhere });
    expect(put.status).toBe(400);
    expect(put.body.message).toContain('mqtt.password');
    const patch = await rest(w.url, 'PATCH', `/connectors/${name}/config`, { 'mqtt.server.uri': elsewhere });
    expect(patch.status).toBe(400);
    expect(patch.body.message).toContain('mqtt.password');
    // Unchanged endpoint: the round trip keeps the secret, as before.
    expect((await rest(w.url, 'PUT', `/connectors/${name}/config`, { ...shown.body, 'mqtt.qos': '0' })).status).toBe(
      200,
    );
    expectClean(JSON.stringify([put.body, patch.body]));
    expect((await rest(w.url, 'DELETE', `/connectors/${name}`)).status).toBe(204);
  });
});

describe("the worker's registry credentials go to the worker's registry only", () => {
  const id = uniqueId('regcred');
  const REG_SECRET = `registry-pw-${id}`;
  let w: WorkerHandle;
  let capture: Server;
  const seen: { url: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    // A registry of the caller's choosing: answers like one and records what it is sent.
    capture = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 1 }));
    });
    await new Promise<void>((r) => capture.listen(0, '127.0.0.1', () => r()));
    w = await startWorker(freshCluster('regcred'), {
      env: { FERRY_VALUE_CONVERTER_BASIC_AUTH_USER_INFO: `ferry:${REG_SECRET}` },
    });
  });
  afterAll(async () => {
    await w?.stop();
    await new Promise<void>((r) => capture.close(() => r()));
  });

  it('a connector naming its own registry URL gets none of them', async () => {
    const port = (capture.address() as { port: number }).port;
    const name = `${id}-src`;
    const res = await rest(w.url, 'PUT', `/connectors/${name}/config`, {
      'connector.class': 'CounterSource',
      'counter.topic': `${id}.out`,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': `http://127.0.0.1:${port}`,
    });
    expect(res.status).toBe(201);
    await eventually(() => seen.length > 0, { what: 'a request at the chosen registry', timeoutMs: 60_000 });
    for (const s of seen)
      expect(Buffer.from(s.authorization?.split(' ')[1] ?? '', 'base64').toString()).not.toContain(REG_SECRET);
    expect(seen.every((s) => s.authorization === undefined)).toBe(true);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });
});
