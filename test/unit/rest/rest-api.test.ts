import { FerryError } from '../../../runtime/api';
import { RestHarness } from './harness';

const source = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  config: { 'connector.class': 'CounterSourceConnector', topic: 'counter', 'tasks.max': '2', ...extra },
});

describe('REST API', () => {
  let h: RestHarness;
  beforeEach(async () => {
    h = await new RestHarness().start();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('worker', () => {
    it('GET / answers the server info', async () => {
      const r = await h.call('GET', '/');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ version: '0.1.0', commit: 'test', kafka_cluster_id: 'cluster-1' });
    });

    it('GET /health maps healthy/starting/unhealthy to 200/503/500', async () => {
      expect((await h.call('GET', '/health')).status).toBe(200);
      h.herder.healthInfo = { status: 'starting', message: 'Worker is still starting up.' };
      const starting = await h.call('GET', '/health');
      expect(starting.status).toBe(503);
      expect(starting.body).toEqual({ status: 'starting', message: 'Worker is still starting up.' });
      h.herder.healthInfo = { status: 'unhealthy', message: 'Kafka unreachable' };
      expect((await h.call('GET', '/health')).status).toBe(500);
    });

    it('unknown paths answer 404 and wrong methods 405, in the error shape', async () => {
      const r = await h.call('GET', '/nope');
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
      const m = await h.call('POST', '/connectors/x/status');
      expect(m.status).toBe(405);
      expect(m.body).toEqual({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    });
  });

  describe('create', () => {
    it('POST /connectors answers 201, a Location and the ConnectorInfo', async () => {
      const r = await h.call('POST', '/connectors', source('s1'));
      expect(r.status).toBe(201);
      expect(r.headers.get('location')).toBe(`${h.url}/connectors/s1`);
      expect(r.body).toEqual({
        name: 's1',
        config: { 'connector.class': 'CounterSourceConnector', topic: 'counter', 'tasks.max': '2', name: 's1' },
        tasks: [
          { connector: 's1', task: 0 },
          { connector: 's1', task: 1 },
        ],
        type: 'source',
      });
      expect((await h.call('GET', '/connectors')).body).toEqual(['s1']);
    });

    it('coerces numbers and booleans to strings, as Connect does', async () => {
      const r = await h.call('POST', '/connectors', source('s1', { 'tasks.max': 1, 'fast.enabled': true }));
      expect(r.status).toBe(201);
      expect((r.body as { config: Record<string, string> }).config).toMatchObject({
        'tasks.max': '1',
        'fast.enabled': 'true',
      });
    });

    it('answers 409 for a taken name', async () => {
      await h.call('POST', '/connectors', source('s1'));
      const r = await h.call('POST', '/connectors', source('s1'));
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ error_code: 409, message: 'Connector s1 already exists' });
    });

    it.each([
      ['malformed JSON', '{"name": "s1", "config": {', /^Malformed JSON in request body: /],
      ['an array', '[1,2]', /must be a connector creation request .* not an array/],
      ['a string', '"s1"', /not a string/],
      ['no body', undefined, /Request body is missing/],
      ['no name', { config: { 'connector.class': 'CounterSourceConnector' } }, /Field "name" is required/],
      ['an empty name', { name: ' ', config: {} }, /Field "name" must be a non-empty string/],
      ['no config', { name: 's1' }, /Field "config" is required/],
      ['a config that is a list', { name: 's1', config: ['a'] }, /Field "config" must be a JSON object/],
      [
        'an object value',
        source('s1', { topic: { a: 1 } }),
        /Configuration key "config.topic" must have a string value, not an object/,
      ],
      [
        'a null value',
        source('s1', { topic: null }),
        /Configuration key "config.topic" must have a string value, not null/,
      ],
      [
        'a name mismatch',
        { name: 's1', config: { name: 's2', 'connector.class': 'CounterSourceConnector', topic: 't' } },
        /Connector name configuration \(s2\) doesn't match connector name in the request \(s1\)/,
      ],
      [
        'an unknown initial_state',
        { ...source('s1'), initial_state: 'SLEEPING' },
        /initial_state.*RUNNING, PAUSED or STOPPED/,
      ],
      ['no connector class', { name: 's2', config: { 'tasks.max': '1' } }, /contains no connector type/],
      [
        'an unknown connector class',
        { name: 's2', config: { 'connector.class': 'Nope' } },
        /Failed to find any class .* Nope/,
      ],
    ])('answers 400 naming the problem for %s', async (_what, body, message) => {
      const r = await h.call('POST', '/connectors', body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error_code: 400, message: expect.stringMatching(message) });
    });

    it('answers 400 listing every invalid key', async () => {
      const r = await h.call('POST', '/connectors', source('s1', { 'tasks.max': 'x', mode: 'sideways', topic: '' }));
      expect(r.status).toBe(400);
      const message = (r.body as { message: string }).message;
      expect(message).toMatch(/^Connector configuration is invalid and contains the following 3 error\(s\)/);
      for (const key of ['tasks.max', 'mode', 'topic']) expect(message).toContain(`${key}: `);
    });

    it('honours initial_state (case-insensitive)', async () => {
      const r = await h.call('POST', '/connectors', { ...source('p1'), initial_state: 'paused' });
      expect(r.status).toBe(201);
      expect((await h.call('GET', '/connectors/p1/status')).body).toMatchObject({
        connector: { state: 'PAUSED' },
        tasks: [],
      });
    });
  });

  describe('an existing connector', () => {
    beforeEach(async () => {
      expect((await h.call('POST', '/connectors', source('s1', { 'api.password': 'hunter2' }))).status).toBe(201);
    });

    it('GET /connectors?expand=status&expand=info answers both per connector', async () => {
      const r = await h.call('GET', '/connectors?expand=status&expand=info');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        s1: {
          status: {
            name: 's1',
            connector: { state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            tasks: [
              { id: 0, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
              { id: 1, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            ],
            type: 'source',
          },
          info: expect.objectContaining({ name: 's1', type: 'source' }),
        },
      });
      expect(Object.keys((await h.call('GET', '/connectors?expand=info')).body as object)).toEqual(['s1']);
      expect((await h.call('GET', '/connectors?expand=info')).body).not.toHaveProperty('s1.status');
    });

    it('GET /connectors/{n} and /config hide secrets', async () => {
      const info = await h.call('GET', '/connectors/s1');
      expect(info.status).toBe(200);
      expect(info.text).not.toContain('hunter2');
      const config = await h.call('GET', '/connectors/s1/config');
      expect(config.status).toBe(200);
      expect(config.body).toMatchObject({ name: 's1', 'api.password': '[hidden]', topic: 'counter' });
    });

    it("answers 404 for an unknown connector, with Connect's message", async () => {
      for (const [method, path] of [
        ['GET', '/connectors/nope'],
        ['GET', '/connectors/nope/config'],
        ['GET', '/connectors/nope/status'],
        ['GET', '/connectors/nope/tasks'],
        ['DELETE', '/connectors/nope'],
        ['PUT', '/connectors/nope/pause'],
        ['PUT', '/connectors/nope/resume'],
        ['PUT', '/connectors/nope/stop'],
        ['POST', '/connectors/nope/restart'],
        ['GET', '/connectors/nope/offsets'],
        ['GET', '/connectors/nope/topics'],
      ] as const) {
        const r = await h.call(method, path);
        expect([method, path, r.status, r.body]).toEqual([
          method,
          path,
          404,
          { error_code: 404, message: 'Connector nope not found' },
        ]);
      }
    });

    it('PUT …/config sends masked secrets back and keeps the stored value', async () => {
      const config = (await h.call('GET', '/connectors/s1/config')).body as Record<string, string>;
      const r = await h.call('PUT', '/connectors/s1/config', { ...config, topic: 'other' });
      expect(r.status).toBe(200);
      expect(h.herder.entries.get('s1')?.config).toMatchObject({ 'api.password': 'hunter2', topic: 'other' });
    });

    it('PUT …/config creates (201 + Location) or updates (200), and refuses a different name', async () => {
      const created = await h.call('PUT', '/connectors/s2/config', { 'connector.class': 'LogSink', topics: 'a' });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${h.url}/connectors/s2`);
      expect(created.body).toMatchObject({ name: 's2', type: 'sink', config: { name: 's2' } });
      const updated = await h.call('PUT', '/connectors/s2/config', {
        name: 's2',
        'connector.class': 'LogSink',
        topics: 'b',
      });
      expect(updated.status).toBe(200);
      const mismatch = await h.call('PUT', '/connectors/s2/config', {
        name: 'zz',
        'connector.class': 'LogSink',
        topics: 'b',
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toEqual({
        error_code: 400,
        message: "Connector name configuration (zz) doesn't match connector name in the URL (s2)",
      });
      const secretless = await h.call('PUT', '/connectors/s3/config', {
        'connector.class': 'CounterSourceConnector',
        topic: 't',
        'api.password': '[hidden]',
      });
      expect(secretless.status).toBe(400);
      expect((secretless.body as { message: string }).message).toContain('api.password');
      expect((await h.call('PUT', '/connectors/s2/config', '{bad')).status).toBe(400);
      expect(
        (await h.call('PUT', '/connectors/s2/config', { 'connector.class': 'LogSink', topics: ['a'] })).status,
      ).toBe(400);
    });

    it('PATCH …/config merges, null removes, and the name cannot change', async () => {
      const r = await h.call('PATCH', '/connectors/s1/config', { 'interval.ms': 50, 'api.password': null });
      expect(r.status).toBe(200);
      expect((r.body as { config: Record<string, string> }).config).toMatchObject({ 'interval.ms': '50' });
      expect((r.body as { config: Record<string, string> }).config).not.toHaveProperty('api.password');
      expect((await h.call('PATCH', '/connectors/s1/config', { 'tasks.max': '0' })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/s1/config', { name: null })).body).toEqual({
        error_code: 400,
        message: 'Configuration key "name" cannot be removed',
      });
      expect((await h.call('PATCH', '/connectors/s1/config', { name: 'x' })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/nope/config', { topic: 'x' })).status).toBe(404);
      expect((await h.call('PATCH', '/connectors/s1/config', { topic: [1] })).status).toBe(400);
    });

    it('GET …/tasks and …/tasks/{id}/status', async () => {
      const tasks = await h.call('GET', '/connectors/s1/tasks');
      expect(tasks.status).toBe(200);
      expect((tasks.body as { id: unknown }[]).map((t) => t.id)).toEqual([
        { connector: 's1', task: 0 },
        { connector: 's1', task: 1 },
      ]);
      expect((await h.call('GET', '/connectors/s1/tasks/1/status')).body).toEqual({
        id: 1,
        state: 'RUNNING',
        worker_id: '127.0.0.1:8083',
      });
      const missing = await h.call('GET', '/connectors/s1/tasks/7/status');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error_code: 404, message: 'No status found for task s1-7' });
      expect((await h.call('GET', '/connectors/s1/tasks/abc/status')).status).toBe(404);
      expect((await h.call('GET', '/connectors/s1/tasks/-1/status')).status).toBe(404);
    });

    it('restart: 204 without flags, 202 + RESTARTING status with them, 400 for a bad flag', async () => {
      const plain = await h.call('POST', '/connectors/s1/restart');
      expect(plain.status).toBe(204);
      expect(plain.text).toBe('');
      const withTasks = await h.call('POST', '/connectors/s1/restart?includeTasks=true&onlyFailed=false');
      expect(withTasks.status).toBe(202);
      expect(withTasks.body).toMatchObject({
        connector: { state: 'RESTARTING' },
        tasks: [{ state: 'RESTARTING' }, { state: 'RESTARTING' }],
      });
      h.herder.entries.get('s1')?.failedTasks.add(1);
      const onlyFailed = await h.call('POST', '/connectors/s1/restart?includeTasks=true&onlyFailed=true');
      expect(onlyFailed.body).toMatchObject({
        connector: { state: 'RUNNING' },
        tasks: [{ state: 'RUNNING' }, { state: 'RESTARTING' }],
      });
      const bad = await h.call('POST', '/connectors/s1/restart?includeTasks=maybe');
      expect(bad.status).toBe(400);
      expect((bad.body as { message: string }).message).toContain('includeTasks');
      expect((await h.call('POST', '/connectors/s1/tasks/0/restart')).status).toBe(204);
      expect((await h.call('POST', '/connectors/s1/tasks/5/restart')).status).toBe(404);
    });

    it('pause 202, resume 202, stop 204', async () => {
      const pause = await h.call('PUT', '/connectors/s1/pause');
      expect([pause.status, pause.text]).toEqual([202, '']);
      expect((await h.call('GET', '/connectors/s1/status')).body).toMatchObject({ connector: { state: 'PAUSED' } });
      expect((await h.call('PUT', '/connectors/s1/resume')).status).toBe(202);
      expect((await h.call('GET', '/connectors/s1/status')).body).toMatchObject({ connector: { state: 'RUNNING' } });
      expect((await h.call('PUT', '/connectors/s1/stop')).status).toBe(204);
      expect((await h.call('GET', '/connectors/s1/status')).body).toEqual({
        name: 's1',
        connector: { state: 'STOPPED', worker_id: '127.0.0.1:8083' },
        tasks: [],
        type: 'source',
      });
    });

    it('topics and topics/reset', async () => {
      expect((await h.call('GET', '/connectors/s1/topics')).body).toEqual({ s1: { topics: ['counter'] } });
      expect((await h.call('PUT', '/connectors/s1/topics/reset')).status).toBe(202);
      expect((await h.call('GET', '/connectors/s1/topics')).body).toEqual({ s1: { topics: [] } });
    });

    it('offsets: GET any time; PATCH/DELETE only when STOPPED; malformed bodies are 400', async () => {
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [] });
      const entry = { partition: { 'mqtt.topic.filter': 'a/#' }, offset: { seq: 5 } };
      const running = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [entry] });
      expect(running.status).toBe(400);
      expect((running.body as { message: string }).message).toMatch(/STOPPED/);
      const empty = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [] });
      expect(empty.body).toEqual({
        error_code: 400,
        message: 'Partitions / offsets need to be provided for an alter offsets request',
      });
      expect(
        (await h.call('PATCH', '/connectors/s1/offsets', { offsets: [{ partition: 'x', offset: {} }] })).body,
      ).toEqual({
        error_code: 400,
        message: 'offsets[0].partition must be a JSON object, not a string',
      });
      expect((await h.call('PATCH', '/connectors/s1/offsets', { offsets: [{ partition: {} }] })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/s1/offsets', '{"offsets":')).status).toBe(400);

      await h.call('PUT', '/connectors/s1/stop');
      const altered = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [entry] });
      expect(altered.status).toBe(200);
      expect(altered.body).toEqual({ message: 'The offsets for this connector have been altered successfully' });
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [entry] });
      const reset = await h.call('DELETE', '/connectors/s1/offsets');
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ message: 'The offsets for this connector have been reset successfully' });
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [] });
    });

    it('DELETE answers 204, then the connector is gone', async () => {
      const r = await h.call('DELETE', '/connectors/s1');
      expect([r.status, r.text]).toEqual([204, '']);
      expect((await h.call('GET', '/connectors/s1')).status).toBe(404);
      expect((await h.call('GET', '/connectors')).body).toEqual([]);
    });
  });

  describe('plugins', () => {
    it('lists connector plugins, or all with connectorsOnly=false', async () => {
      expect((await h.call('GET', '/connector-plugins')).body).toEqual([
        { class: 'CounterSourceConnector', type: 'source', version: '1.2.3' },
        { class: 'io.ferry.test.LogSinkConnector', type: 'sink', version: '0.0.1' },
      ]);
      expect((await h.call('GET', '/connector-plugins?connectorsOnly=false')).body).toHaveLength(3);
      expect((await h.call('GET', '/connector-plugins?connectorsOnly=nah')).status).toBe(400);
    });

    it('GET …/config lists the keys; 404 for an unknown plugin', async () => {
      const r = await h.call('GET', '/connector-plugins/CounterSource/config');
      expect(r.status).toBe(200);
      expect((r.body as { name: string; type: string }[]).find((k) => k.name === 'interval.ms')).toMatchObject({
        type: 'INT',
        default_value: '1000',
      });
      expect((await h.call('GET', '/connector-plugins/Nope/config')).status).toBe(404);
    });

    it('PUT …/config/validate answers ConfigInfos even with errors', async () => {
      const r = await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', {
        'connector.class': 'CounterSourceConnector',
        name: 'v',
        'tasks.max': 'x',
        'api.password': 'hunter2',
      });
      expect(r.status).toBe(200);
      const body = r.body as {
        name: string;
        error_count: number;
        groups: string[];
        configs: { value: { name: string; value: string; errors: string[] } }[];
      };
      expect(body.name).toBe('CounterSourceConnector');
      expect(body.error_count).toBe(2);
      expect(body.groups).toContain('Common');
      const tasksMax = body.configs.find((c) => c.value.name === 'tasks.max');
      expect(tasksMax?.value.errors).toEqual(['Invalid value x for configuration tasks.max: Not a number of type INT']);
      expect(r.text).not.toContain('hunter2');
    });

    it('validate: 400 for an unknown plugin, a class mismatch or a malformed body', async () => {
      const unknown = await h.call('PUT', '/connector-plugins/Nope/config/validate', { name: 'v' });
      expect(unknown.status).toBe(400);
      expect((unknown.body as { message: string }).message).toMatch(/Nope/);
      const mismatch = await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', {
        'connector.class': 'LogSink',
      });
      expect(mismatch.body).toEqual({
        error_code: 400,
        message: 'Included connector type LogSink does not match request type CounterSourceConnector',
      });
      expect((await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', '{')).status).toBe(400);
      expect((await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', '[]')).status).toBe(400);
    });
  });

  describe('loggers', () => {
    it('lists, reads and sets levels', async () => {
      h.loggers.logger('ferry.connector.s1');
      const all = await h.call('GET', '/admin/loggers');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({
        root: { level: 'DEBUG', last_modified: null },
        'ferry.connector.s1': { level: 'DEBUG', last_modified: null },
        'ferry.rest': { level: 'DEBUG', last_modified: null },
      });
      const set = await h.call('PUT', '/admin/loggers/ferry.connector', { level: 'warn' });
      expect(set.status).toBe(200);
      expect(set.body).toEqual(['ferry.connector', 'ferry.connector.s1']);
      const one = await h.call('GET', '/admin/loggers/ferry.connector.s1');
      expect(one.body).toMatchObject({ level: 'WARN', last_modified: expect.any(Number) });
      expect((await h.call('PUT', '/admin/loggers/ferry.rest?scope=cluster', { level: 'INFO' })).status).toBe(204);
      expect((await h.call('GET', '/admin/loggers/ferry.rest')).body).toMatchObject({ level: 'INFO' });
    });

    it('404 for an unknown logger, 400 for a missing or unknown level', async () => {
      expect((await h.call('GET', '/admin/loggers/nope')).body).toEqual({
        error_code: 404,
        message: 'Logger nope not found.',
      });
      expect((await h.call('PUT', '/admin/loggers/x', {})).body).toEqual({
        error_code: 400,
        message: "Desired 'level' parameter was not specified in request.",
      });
      expect((await h.call('PUT', '/admin/loggers/x', { level: 'LOUD' })).status).toBe(400);
      expect((await h.call('PUT', '/admin/loggers/x', 'level=DEBUG')).status).toBe(400);
    });
  });

  describe('errors', () => {
    it('maps herder error codes, and hides internal errors behind a generic 500', async () => {
      await h.call('POST', '/connectors', source('s1'));
      h.herder.failWith = new FerryError(
        'CONFLICT',
        'Cannot complete request because of a conflicting operation (e.g. worker rebalance)',
      );
      expect((await h.call('GET', '/connectors/s1')).status).toBe(409);
      h.herder.failWith = new TypeError('secret internals at /srv/x.js:12');
      const r = await h.call('GET', '/connectors/s1');
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error_code: 500, message: 'Internal server error; the worker log has the details' });
      expect(h.logText.join('')).toContain('secret internals');
      // The server survives and keeps answering.
      h.herder.failWith = undefined;
      expect((await h.call('GET', '/connectors/s1')).status).toBe(200);
    });

    it('answers 4xx, not 500, for a malformed path, an oversized body or an unknown charset', async () => {
      const path = await h.call('GET', '/connectors/%E0%A4%A');
      expect(path.status).toBe(400);
      expect((path.body as { message: string }).message).toMatch(/^Malformed percent-encoding in the request path/);
      const big = await h.call(
        'POST',
        '/connectors',
        JSON.stringify({ name: 'x', config: { a: 'x'.repeat(6_000_000) } }),
      );
      expect(big.body).toEqual({
        error_code: 413,
        message: 'Request body larger than 1048576 bytes (rest.max.body.bytes)',
      });
      const charset = await fetch(`${h.url}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=latin9' },
        body: '{}',
      });
      expect(charset.status).toBe(415);
    });

    it('logs requests at debug without bodies', async () => {
      await h.call('POST', '/connectors', source('s1', { 'api.password': 'hunter2' }));
      const log = h.logText.join('');
      expect(log).toContain('"path":"/connectors"');
      expect(log).not.toContain('hunter2');
    });
  });
});

describe('REST API timeouts and metrics', () => {
  it('answers 500 "Request timed out" when the herder takes too long', async () => {
    const h = await new RestHarness().start({ requestTimeoutMs: 50 });
    let release!: () => void;
    h.herder.block = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const r = await h.call('GET', '/connectors');
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error_code: 500, message: 'Request timed out' });
    } finally {
      release();
      await h.stop();
    }
  });

  it('serves /metrics only when given a source', async () => {
    const without = await new RestHarness().start();
    const withMetrics = await new RestHarness().start({ metrics: () => Promise.resolve('ferry_up 1\n') });
    try {
      expect((await without.call('GET', '/metrics')).status).toBe(404);
      const r = await withMetrics.call('GET', '/metrics');
      expect(r.status).toBe(200);
      expect(r.text).toBe('ferry_up 1\n');
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      await without.stop();
      await withMetrics.stop();
    }
  });
});
