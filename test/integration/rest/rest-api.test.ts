import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freshCluster, rest, startWorker, uniqueId, type WorkerHandle } from '../../helpers';

/**
 * Every endpoint of kafka-connect-compat.md §1.3 against a real worker, real Kafka and the fixture plugins:
 * status codes and bodies as Kafka Connect 4.x answers them (and Ferry's documented differences).
 */
describe('REST API against a real worker', () => {
  let w: WorkerHandle;
  let dir: string;
  const call = (method: string, path: string, body?: unknown): ReturnType<typeof rest> =>
    rest(w.url, method, path, body);
  const counter = (topic: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'connector.class': 'io.ferry.test.CounterSourceConnector',
    'counter.topic': topic,
    'counter.max': '30',
    'tasks.max': '1',
    ...extra,
  });
  const state = async (name: string): Promise<string> =>
    ((await call('GET', `/connectors/${name}/status`)).body as { connector: { state: string } }).connector.state;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-rest-it-'));
    w = await startWorker(freshCluster('restit'));
  });
  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET / and /health', async () => {
    const root = await call('GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toEqual({
      version: expect.any(String),
      commit: expect.any(String),
      kafka_cluster_id: expect.any(String),
    });
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'healthy', message: expect.any(String) });
  });

  it('create: 201 + Location; 409 for a taken name; 400 for every kind of bad request', async () => {
    const name = uniqueId('c');
    const created = await call('POST', '/connectors', { name, config: counter(uniqueId('t')) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`/connectors/${name}$`));
    expect(created.body).toMatchObject({ name, type: 'source', config: { name, 'tasks.max': '1' } });
    expect(Array.isArray(created.body.tasks)).toBe(true);

    const dup = await call('POST', '/connectors', { name, config: counter('x') });
    expect([dup.status, dup.body]).toEqual([409, { error_code: 409, message: `Connector ${name} already exists` }]);

    const cases: [unknown, RegExp][] = [
      ['{"name": "x", "config": {', /^Malformed JSON in request body/],
      [{ name: 'x', config: { 'tasks.max': '1' } }, /contains no connector type/],
      [{ name: 'x', config: { 'connector.class': 'NoSuchConnector' } }, /NoSuchConnector/],
      [
        { name: 'x', config: counter('t', { 'tasks.max': 'x' }) },
        /tasks\.max: Invalid value x for configuration tasks\.max: Not a number of type INT/,
      ],
      [{ name: 'x', config: { ...counter('t'), name: 'y' } }, /doesn't match/],
      [
        { name: 'x', config: { ...counter('t'), 'counter.max': { n: 1 } } },
        /"config\.counter\.max" must have a string value/,
      ],
      [{ name: 'x', config: counter('t'), initial_state: 'LATER' }, /initial_state/],
      [[1, 2], /not an array/],
    ];
    for (const [body, message] of cases) {
      const r = await call('POST', '/connectors', body);
      expect([JSON.stringify(body), r.status, r.body]).toEqual([
        JSON.stringify(body),
        400,
        { error_code: 400, message: expect.stringMatching(message) },
      ]);
    }
  });

  it('initial_state PAUSED and STOPPED: no tasks until resumed', async () => {
    for (const initial of ['PAUSED', 'STOPPED']) {
      const name = uniqueId(`init-${initial.toLowerCase()}`);
      expect(
        (await call('POST', '/connectors', { name, config: counter(uniqueId('t')), initial_state: initial })).status,
      ).toBe(201);
      await eventually(async () => (await state(name)) === initial, { what: initial, timeoutMs: 60_000 });
      expect((await call('GET', `/connectors/${name}/status`)).body.tasks).toEqual([]);
      expect((await call('PUT', `/connectors/${name}/resume`)).status).toBe(202);
      await eventually(async () => (await state(name)) === 'RUNNING', { what: 'RUNNING', timeoutMs: 60_000 });
      expect((await call('DELETE', `/connectors/${name}`)).status).toBe(204);
    }
  });

  it('a running source: info, config, status, tasks, restart, pause/resume/stop, topics, offsets, delete', async () => {
    const name = uniqueId('src');
    const topic = uniqueId('src-topic');
    const secret = uniqueId('hunter2');
    expect(
      (await call('POST', '/connectors', { name, config: counter(topic, { 'counter.secret': secret }) })).status,
    ).toBe(201);
    await eventually(
      async () => {
        const s = (await call('GET', `/connectors/${name}/status`)).body;
        return s.connector.state === 'RUNNING' && s.tasks.length === 1 && s.tasks[0].state === 'RUNNING';
      },
      { what: 'RUNNING with its task', timeoutMs: 60_000 },
    );

    const list = await call('GET', '/connectors');
    expect(list.body).toContain(name);
    const expanded = await call('GET', '/connectors?expand=status&expand=info');
    expect(expanded.body[name]).toMatchObject({
      status: { name, connector: { state: 'RUNNING', worker_id: `127.0.0.1:${w.port}` }, type: 'source' },
      info: { name, type: 'source', tasks: [{ connector: name, task: 0 }] },
    });

    const info = await call('GET', `/connectors/${name}`);
    expect(info.body).toEqual({
      name,
      config: expect.objectContaining({ 'counter.secret': '[hidden]' }),
      tasks: [{ connector: name, task: 0 }],
      type: 'source',
    });
    const config = await call('GET', `/connectors/${name}/config`);
    expect(config.body).toMatchObject({ name, 'counter.topic': topic, 'counter.secret': '[hidden]' });
    // A client that sends the masked config back keeps the secret: the update is accepted.
    const put = await call('PUT', `/connectors/${name}/config`, { ...config.body, 'counter.batch': '5' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name, config: { 'counter.batch': '5', 'counter.secret': '[hidden]' } });
    const patched = await call('PATCH', `/connectors/${name}/config`, {
      'counter.batch': null,
      'counter.interval.ms': 10,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.config).not.toHaveProperty('counter.batch');
    expect(patched.body.config['counter.interval.ms']).toBe('10');
    expect((await call('PUT', `/connectors/${name}/config`, { ...counter(topic), name: 'other' })).status).toBe(400);

    await eventually(async () => (await state(name)) === 'RUNNING', {
      what: 'RUNNING after the update',
      timeoutMs: 60_000,
    });
    const tasks = await call('GET', `/connectors/${name}/tasks`);
    expect(tasks.status).toBe(200);
    expect(tasks.body).toEqual([{ id: { connector: name, task: 0 }, config: expect.any(Object) }]);
    expect(JSON.stringify(tasks.body)).not.toContain(secret);
    await eventually(async () => (await call('GET', `/connectors/${name}/tasks/0/status`)).status === 200, {
      what: 'task 0',
      timeoutMs: 60_000,
    });
    expect((await call('GET', `/connectors/${name}/tasks/0/status`)).body).toMatchObject({
      id: 0,
      worker_id: `127.0.0.1:${w.port}`,
    });
    expect((await call('GET', `/connectors/${name}/tasks/7/status`)).body).toEqual({
      error_code: 404,
      message: `No status found for task ${name}-7`,
    });

    expect((await call('POST', `/connectors/${name}/restart`)).status).toBe(204);
    const restarting = await call('POST', `/connectors/${name}/restart?includeTasks=true`);
    expect(restarting.status).toBe(202);
    expect(restarting.body).toMatchObject({
      name,
      connector: { state: 'RESTARTING' },
      tasks: [{ id: 0, state: 'RESTARTING' }],
    });
    await eventually(async () => (await state(name)) === 'RUNNING', {
      what: 'RUNNING after restart',
      timeoutMs: 60_000,
    });
    expect((await call('POST', `/connectors/${name}/tasks/0/restart`)).status).toBe(204);
    expect((await call('POST', `/connectors/${name}/tasks/9/restart`)).status).toBe(404);

    expect((await call('PUT', `/connectors/${name}/pause`)).status).toBe(202);
    await eventually(async () => (await state(name)) === 'PAUSED', { what: 'PAUSED', timeoutMs: 60_000 });
    expect((await call('PUT', `/connectors/${name}/resume`)).status).toBe(202);
    await eventually(async () => (await state(name)) === 'RUNNING', { what: 'RUNNING', timeoutMs: 60_000 });

    await eventually(async () => (await call('GET', `/connectors/${name}/topics`)).body[name]?.topics.includes(topic), {
      what: 'topic tracked',
      timeoutMs: 60_000,
    });
    expect((await call('GET', `/connectors/${name}/topics`)).body).toEqual({ [name]: { topics: [topic] } });
    expect((await call('PUT', `/connectors/${name}/topics/reset`)).status).toBe(202);

    await eventually(async () => (await call('GET', `/connectors/${name}/offsets`)).body.offsets.length > 0, {
      what: 'offsets',
      timeoutMs: 60_000,
    });
    const offsets = (await call('GET', `/connectors/${name}/offsets`)).body;
    expect(offsets).toEqual({ offsets: [{ partition: expect.any(Object), offset: expect.any(Object) }] });
    const partition = offsets.offsets[0].partition;
    const running = await call('PATCH', `/connectors/${name}/offsets`, { offsets: [{ partition, offset: { n: 3 } }] });
    expect(running.status).toBe(400);
    expect((await call('PATCH', `/connectors/${name}/offsets`, { offsets: [] })).body).toEqual({
      error_code: 400,
      message: 'Partitions / offsets need to be provided for an alter offsets request',
    });

    const stop = await call('PUT', `/connectors/${name}/stop`);
    expect(stop.status).toBe(204);
    await eventually(async () => (await state(name)) === 'STOPPED', { what: 'STOPPED', timeoutMs: 60_000 });
    expect((await call('GET', `/connectors/${name}/status`)).body).toMatchObject({
      connector: { state: 'STOPPED' },
      tasks: [],
      type: 'source',
    });
    const altered = await call('PATCH', `/connectors/${name}/offsets`, { offsets: [{ partition, offset: { n: 3 } }] });
    expect([altered.status, altered.body]).toEqual([
      200,
      { message: 'The offsets for this connector have been altered successfully' },
    ]);
    expect((await call('GET', `/connectors/${name}/offsets`)).body).toEqual({
      offsets: [{ partition, offset: { n: 3 } }],
    });
    const reset = await call('DELETE', `/connectors/${name}/offsets`);
    expect([reset.status, reset.body]).toEqual([
      200,
      { message: 'The offsets for this connector have been reset successfully' },
    ]);
    expect((await call('GET', `/connectors/${name}/offsets`)).body).toEqual({ offsets: [] });

    expect((await call('DELETE', `/connectors/${name}`)).status).toBe(204);
    expect((await call('GET', `/connectors/${name}`)).body).toEqual({
      error_code: 404,
      message: `Connector ${name} not found`,
    });
    expect(w.output()).not.toContain(secret);
  });

  it('a re-created connector does not inherit the offsets of a deleted one of the same name', async () => {
    const name = uniqueId('recreate');
    const topic = uniqueId('recreate-topic');
    expect((await call('POST', '/connectors', { name, config: counter(topic) })).status).toBe(201);
    await eventually(async () => (await call('GET', `/connectors/${name}/offsets`)).body.offsets.length > 0, {
      what: 'offsets',
      timeoutMs: 60_000,
    });
    expect((await call('DELETE', `/connectors/${name}`)).status).toBe(204);
    expect((await call('POST', '/connectors', { name, config: counter(topic), initial_state: 'STOPPED' })).status).toBe(
      201,
    );
    expect((await call('GET', `/connectors/${name}/offsets`)).body).toEqual({ offsets: [] });
    expect((await call('DELETE', `/connectors/${name}`)).status).toBe(204);
  });

  it("a sink's offsets are its consumer group's, in Connect's shape", async () => {
    const topic = uniqueId('sink-in');
    const source = uniqueId('feed');
    const sink = uniqueId('sink');
    expect(
      (await call('POST', '/connectors', { name: source, config: counter(topic, { 'counter.max': '5' }) })).status,
    ).toBe(201);
    const created = await call('POST', '/connectors', {
      name: sink,
      config: { 'connector.class': 'FileSink', topics: topic, 'file.path': join(dir, 'sink.jsonl') },
    });
    expect(created.status).toBe(201);
    expect(created.body.type).toBe('sink');
    const offsets = await eventually(
      async () => {
        const o = (await call('GET', `/connectors/${sink}/offsets`)).body;
        return o.offsets.length > 0 && o.offsets[0].offset.kafka_offset === 5 ? o : undefined;
      },
      { what: 'sink offsets', timeoutMs: 90_000 },
    );
    expect(offsets).toEqual({
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 5 } }],
    });
    expect(
      (
        await call('PATCH', `/connectors/${sink}/offsets`, {
          offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 2 } }],
        })
      ).status,
    ).toBe(400);
    expect((await call('PUT', `/connectors/${sink}/stop`)).status).toBe(204);
    await eventually(async () => (await state(sink)) === 'STOPPED', { what: 'sink STOPPED', timeoutMs: 60_000 });
    const altered = await call('PATCH', `/connectors/${sink}/offsets`, {
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 2 } }],
    });
    expect([altered.status, altered.body]).toEqual([
      200,
      { message: 'The offsets for this connector have been altered successfully' },
    ]);
    expect((await call('GET', `/connectors/${sink}/offsets`)).body).toEqual({
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 2 } }],
    });
    for (const n of [sink, source]) expect((await call('DELETE', `/connectors/${n}`)).status).toBe(204);
  });

  it('404 for unknown connectors on every per-connector endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/connectors/nope'],
      ['GET', '/connectors/nope/config'],
      ['PATCH', '/connectors/nope/config'],
      ['GET', '/connectors/nope/status'],
      ['GET', '/connectors/nope/tasks'],
      ['GET', '/connectors/nope/tasks/0/status'],
      ['POST', '/connectors/nope/restart'],
      ['POST', '/connectors/nope/tasks/0/restart'],
      ['PUT', '/connectors/nope/pause'],
      ['PUT', '/connectors/nope/resume'],
      ['PUT', '/connectors/nope/stop'],
      ['DELETE', '/connectors/nope'],
      ['GET', '/connectors/nope/offsets'],
      ['DELETE', '/connectors/nope/offsets'],
    ] as const) {
      const r = await call(method, path, method === 'PATCH' ? { a: 'b' } : undefined);
      expect([method, path, r.status, r.body?.error_code]).toEqual([method, path, 404, 404]);
    }
  });

  it('plugins, plugin config and validate', async () => {
    const plugins = (await call('GET', '/connector-plugins')).body as {
      class: string;
      type: string;
      version: string;
    }[];
    expect(plugins).toEqual(
      expect.arrayContaining([
        { class: 'io.ferry.test.CounterSourceConnector', type: 'source', version: '1.0.0' },
        { class: 'io.ferry.test.FileSinkConnector', type: 'sink', version: '1.0.0' },
      ]),
    );
    expect(plugins.every((p) => p.type === 'source' || p.type === 'sink')).toBe(true);
    const all = (await call('GET', '/connector-plugins?connectorsOnly=false')).body as { type: string }[];
    expect(all.some((p) => p.type === 'transformation')).toBe(true);
    expect(all.some((p) => p.type === 'converter')).toBe(true);

    const keys = (await call('GET', '/connector-plugins/CounterSource/config')).body as {
      name: string;
      type: string;
    }[];
    expect(keys).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'counter.max', type: 'INT' })]));
    expect(keys.find((k) => k.name === 'counter.secret')?.type).toBe('PASSWORD');
    expect((await call('GET', '/connector-plugins/Nope/config')).status).toBe(404);

    const v = await call('PUT', '/connector-plugins/CounterSource/config/validate', {
      name: 'v',
      'tasks.max': 'x',
      'counter.secret': 'shh-its-secret',
    });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      name: 'io.ferry.test.CounterSourceConnector',
      groups: expect.arrayContaining(['Common']),
    });
    expect(v.body.error_count).toBeGreaterThanOrEqual(2);
    const tasksMax = v.body.configs.find((c: { value: { name: string } }) => c.value.name === 'tasks.max');
    expect(tasksMax.value.errors).toEqual(['Invalid value x for configuration tasks.max: Not a number of type INT']);
    expect(JSON.stringify(v.body)).not.toContain('shh-its-secret');
    expect((await call('PUT', '/connector-plugins/Nope/config/validate', { name: 'v' })).status).toBe(400);
    expect(
      (await call('PUT', '/connector-plugins/CounterSource/config/validate', { 'connector.class': 'FileSink' })).status,
    ).toBe(400);
    expect((await call('PUT', '/connector-plugins/CounterSource/config/validate', '{')).status).toBe(400);
  });

  it('loggers, unknown routes and the OpenAPI document', async () => {
    const loggers = await call('GET', '/admin/loggers');
    expect(loggers.status).toBe(200);
    expect(loggers.body.root).toEqual({ level: 'INFO', last_modified: null });
    const set = await call('PUT', '/admin/loggers/ferry.rest', { level: 'DEBUG' });
    expect([set.status, set.body]).toEqual([200, expect.arrayContaining(['ferry.rest'])]);
    expect((await call('GET', '/admin/loggers/ferry.rest')).body).toMatchObject({
      level: 'DEBUG',
      last_modified: expect.any(Number),
    });
    expect((await call('PUT', '/admin/loggers/ferry.rest', { level: 'INFO' })).status).toBe(200);
    expect((await call('GET', '/admin/loggers/no.such.logger')).status).toBe(404);
    expect((await call('PUT', '/admin/loggers/ferry.rest', {})).status).toBe(400);
    expect((await call('GET', '/nope')).body).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/connectors', '/connectors/{connector}/offsets', '/metrics']),
    );
    const metrics = await fetch(`${w.url}/metrics`);
    expect(metrics.status).toBe(200);
  });
});
