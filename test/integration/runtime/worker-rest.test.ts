import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  eventually,
  freshCluster,
  readTopic,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type KafkaRecord,
  type WorkerHandle,
} from '../../helpers';

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

/** The values of records as text, in the order read. */
const valuesOf = (records: readonly KafkaRecord[]): string[] => records.map((r) => r.value?.toString() ?? '');

function counterConfig(topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'connector.class': 'CounterSource',
    'tasks.max': '1',
    'counter.topic': topic,
    'counter.batch': '5',
    'counter.interval.ms': '10',
    'key.converter': STRING,
    'value.converter': STRING,
    ...extra,
  };
}

describe('worker REST API against the real broker', () => {
  const cluster = freshCluster('rest');
  let w: WorkerHandle;

  beforeAll(async () => {
    w = await startWorker(cluster);
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('answers / and /health like Connect', async () => {
    const root = await rest(w.url, 'GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toEqual(expect.objectContaining({ version: expect.any(String), commit: expect.any(String) }));
    const health = await rest(w.url, 'GET', '/health');
    expect(health.body).toEqual({
      status: 'healthy',
      message: 'Worker has completed startup and is ready to handle requests.',
    });
  });

  it('creates a source connector, runs its task, and reports status, tasks, topics and offsets', async () => {
    const topic = uniqueId('counter');
    const name = uniqueId('c');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: counterConfig(topic, { 'counter.max': '50', 'counter.secret': 'hunter2-do-not-show' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toContain(`/connectors/${name}`);
    expect(created.body).toEqual(expect.objectContaining({ name, type: 'source', tasks: [] }));
    expect(created.body.config['counter.secret']).toBe('[hidden]');

    const dup = await rest(w.url, 'POST', '/connectors', { name, config: counterConfig(topic) });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ error_code: 409, message: `Connector ${name} already exists` });

    const status = await eventually(
      async () => {
        const s = await rest(w.url, 'GET', `/connectors/${name}/status`);
        return s.body?.tasks?.[0]?.state === 'RUNNING' ? s.body : undefined;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(status.connector.state).toBe('RUNNING');
    expect(status.connector.worker_id).toBe(`127.0.0.1:${w.port}`);
    expect(status.type).toBe('source');
    // Connect 4.x: the plugin's version in the connector's and each task's state, the one /connector-plugins lists.
    const listed = (await rest(w.url, 'GET', '/connector-plugins')).body.find(
      (p: { class: string }) => p.class === 'io.ferry.test.CounterSourceConnector',
    );
    expect(typeof listed.version).toBe('string');
    expect(status.connector.version).toBe(listed.version);
    expect(status.tasks[0].version).toBe(listed.version);
    expect((await rest(w.url, 'GET', `/connectors/${name}/tasks/0/status`)).body.version).toBe(listed.version);

    const values = valuesOf(await readTopic(stackEnv().kafka, topic, { count: 50 }));
    expect(values.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));

    const offsets = await eventually(
      async () => {
        const o = await rest(w.url, 'GET', `/connectors/${name}/offsets`);
        return o.body?.offsets?.[0]?.offset?.n === 49 ? o.body : undefined;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(offsets.offsets).toEqual([{ partition: { counter: `${name}-0` }, offset: { n: 49 } }]);

    const tasks = await rest(w.url, 'GET', `/connectors/${name}/tasks`);
    expect(tasks.status).toBe(200);
    expect(tasks.body[0].id).toEqual({ connector: name, task: 0 });
    expect(tasks.body[0].config['counter.secret']).toBe('[hidden]');

    const topics = await rest(w.url, 'GET', `/connectors/${name}/topics`);
    expect(topics.body).toEqual({ [name]: { topics: [topic] } });

    const list = await rest(w.url, 'GET', '/connectors?expand=status&expand=info');
    expect(list.body[name].info.name).toBe(name);
    expect(list.body[name].status.connector.state).toBe('RUNNING');

    const taskStatus = await rest(w.url, 'GET', `/connectors/${name}/tasks/0/status`);
    expect(taskStatus.body).toEqual(expect.objectContaining({ id: 0, state: 'RUNNING' }));
    const noTask = await rest(w.url, 'GET', `/connectors/${name}/tasks/7/status`);
    expect(noTask.status).toBe(404);
    expect(noTask.body).toEqual({ error_code: 404, message: `No status found for task ${name}-7` });

    // The secret never leaves the worker: not in any response above, not in its logs.
    expect(w.output()).not.toContain('hunter2-do-not-show');
    const del = await rest(w.url, 'DELETE', `/connectors/${name}`);
    expect(del.status).toBe(204);
  });

  it('exposes Prometheus metrics that move when records flow', async () => {
    const topic = uniqueId('counter');
    const name = uniqueId('m');
    await rest(w.url, 'POST', '/connectors', { name, config: counterConfig(topic, { 'counter.max': '40' }) });
    const sample = (text: string, metric: string, labels: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    };
    const text = await eventually(
      async () => {
        const res = await fetch(`${w.url}/metrics`);
        const t = await res.text();
        return sample(t, 'ferry_task_written_total', `connector="${name}"`) === 40 ? t : undefined;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(sample(text, 'ferry_task_received_total', `connector="${name}"`)).toBe(40);
    expect(sample(text, 'ferry_task_state', `connector="${name}",task="0",state="RUNNING"`)).toBe(1);
    expect(sample(text, 'ferry_connector_state', `connector="${name}",state="RUNNING"`)).toBe(1);
    expect(sample(text, 'ferry_task_record_latency_seconds_count', `connector="${name}"`)).toBe(40);
    expect(sample(text, 'ferry_rest_requests_total', 'route="/connectors"')).toBeGreaterThan(0);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
    const after = await (await fetch(`${w.url}/metrics`)).text();
    expect(after).not.toContain(`connector="${name}"`);
  });

  it('pauses, resumes, stops, and alters and resets offsets only when stopped', async () => {
    const topic = uniqueId('counter');
    const name = uniqueId('p');
    await rest(w.url, 'POST', '/connectors', { name, config: counterConfig(topic, { 'counter.max': '20' }) });
    await eventually(
      async () => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
      { what: 'condition', timeoutMs: 60_000 },
    );

    expect((await rest(w.url, 'PUT', `/connectors/${name}/pause`)).status).toBe(202);
    await eventually(
      async () => {
        const s = (await rest(w.url, 'GET', `/connectors/${name}/status`)).body;
        return s.connector.state === 'PAUSED' && s.tasks[0]?.state === 'PAUSED';
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect((await rest(w.url, 'PUT', `/connectors/${name}/resume`)).status).toBe(202);
    await eventually(
      async () => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
      { what: 'condition', timeoutMs: 60_000 },
    );

    const early = await rest(w.url, 'DELETE', `/connectors/${name}/offsets`);
    expect(early.status).toBe(400);
    expect(early.body.message).toContain('STOPPED');

    expect((await rest(w.url, 'PUT', `/connectors/${name}/stop`)).status).toBe(204);
    const stopped = await eventually(
      async () => {
        const s = (await rest(w.url, 'GET', `/connectors/${name}/status`)).body;
        return s.connector.state === 'STOPPED' ? s : undefined;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(stopped.tasks).toEqual([]);

    const empty = await rest(w.url, 'PATCH', `/connectors/${name}/offsets`, { offsets: [] });
    expect(empty.status).toBe(400);
    const altered = await rest(w.url, 'PATCH', `/connectors/${name}/offsets`, {
      offsets: [{ partition: { counter: `${name}-0` }, offset: { n: 99 } }],
    });
    expect(altered.status).toBe(200);
    expect(altered.body).toEqual({ message: 'The offsets for this connector have been altered successfully' });
    expect((await rest(w.url, 'GET', `/connectors/${name}/offsets`)).body.offsets).toEqual([
      { partition: { counter: `${name}-0` }, offset: { n: 99 } },
    ]);
    const reset = await rest(w.url, 'DELETE', `/connectors/${name}/offsets`);
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ message: 'The offsets for this connector have been reset successfully' });
    expect((await rest(w.url, 'GET', `/connectors/${name}/offsets`)).body.offsets).toEqual([]);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });

  it('rejects bad input with 400s that name the problem, 404 for unknown connectors', async () => {
    const malformed = await rest(w.url, 'POST', '/connectors', '{"name": "x", "config": {');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error_code).toBe(400);

    const noClass = await rest(w.url, 'POST', '/connectors', { name: 'x', config: { 'tasks.max': '1' } });
    expect(noClass.status).toBe(400);
    expect(noClass.body.message).toContain('connector.class');

    const unknownClass = await rest(w.url, 'POST', '/connectors', { name: 'x', config: { 'connector.class': 'Nope' } });
    expect(unknownClass.status).toBe(400);
    expect(unknownClass.body.message).toContain('Nope');

    const badTasks = await rest(w.url, 'POST', '/connectors', {
      name: 'x',
      config: counterConfig('t', { 'tasks.max': 'many' }),
    });
    expect(badTasks.status).toBe(400);
    expect(badTasks.body.message).toContain('tasks.max');

    const missing = await rest(w.url, 'POST', '/connectors', {
      name: 'x',
      config: { 'connector.class': 'CounterSource' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('counter.topic');

    const mismatch = await rest(w.url, 'POST', '/connectors', {
      name: 'x',
      config: { ...counterConfig('t'), name: 'y' },
    });
    expect(mismatch.status).toBe(400);

    const nf = await rest(w.url, 'GET', '/connectors/does-not-exist');
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ error_code: 404, message: 'Connector does-not-exist not found' });
    expect((await rest(w.url, 'GET', '/connectors')).body).not.toContain('x');
  });

  it('validates configs and lists plugins', async () => {
    const plugins = await rest(w.url, 'GET', '/connector-plugins');
    const classes = plugins.body.map((p: { class: string }) => p.class);
    expect(classes).toEqual(
      expect.arrayContaining(['MqttSourceConnector', 'MqttSinkConnector', 'io.ferry.test.CounterSourceConnector']),
    );
    const all = await rest(w.url, 'GET', '/connector-plugins?connectorsOnly=false');
    expect(all.body.length).toBeGreaterThan(plugins.body.length);

    const v = await rest(w.url, 'PUT', '/connector-plugins/CounterSource/config/validate', {
      'connector.class': 'CounterSource',
      'tasks.max': 'x',
    });
    expect(v.status).toBe(200);
    expect(v.body.error_count).toBeGreaterThanOrEqual(2);
    const tasksMax = v.body.configs.find((c: { value: { name: string } }) => c.value.name === 'tasks.max');
    expect(tasksMax.value.errors.length).toBeGreaterThan(0);

    const unknown = await rest(w.url, 'PUT', '/connector-plugins/Nope/config/validate', { 'connector.class': 'Nope' });
    expect(unknown.status).toBe(400);

    const cfg = await rest(w.url, 'GET', '/connector-plugins/CounterSource/config');
    expect(cfg.status).toBe(200);
    const secret = cfg.body.find((k: { name: string }) => k.name === 'counter.secret');
    expect(secret.type).toBe('PASSWORD');
  });

  it('runs a sink connector that commits its group offsets, shown and reset through the offsets API', async () => {
    const topic = uniqueId('sink-in');
    const name = uniqueId('s');
    const src = uniqueId('feed');
    // Feed the topic with the counter source, then read it with the file sink.
    await rest(w.url, 'POST', '/connectors', { name: src, config: counterConfig(topic, { 'counter.max': '30' }) });
    await readTopic(stackEnv().kafka, topic, { count: 30 });
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-sink-'));
    const file = path.join(dir, 'out.jsonl');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'FileSink',
        topics: topic,
        'file.path': file,
        'key.converter': STRING,
        'value.converter': STRING,
      },
    });
    expect(created.status).toBe(201);
    const lines = await eventually(
      () => {
        if (!existsSync(file)) return Promise.resolve(undefined);
        const l = readFileSync(file, 'utf8').trim().split('\n');
        return Promise.resolve(l.length >= 30 ? l : undefined);
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(lines.map((l) => JSON.parse(l).value).slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    const offsets = await eventually(
      async () => {
        const o = (await rest(w.url, 'GET', `/connectors/${name}/offsets`)).body;
        return o.offsets?.[0]?.offset?.kafka_offset === 30 ? o : undefined;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    expect(offsets.offsets).toEqual([
      { partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 30 } },
    ]);

    // The sink's lag gauge reaches zero once everything is read; acks counted per record.
    await eventually(
      async () => {
        const t = await (await fetch(`${w.url}/metrics`)).text();
        const lag = t
          .split('\n')
          .find((l) => l.startsWith('ferry_task_consumer_lag{') && l.includes(`connector="${name}"`));
        const acked = t
          .split('\n')
          .find((l) => l.startsWith('ferry_task_acknowledged_total{') && l.includes(`connector="${name}"`));
        return lag?.endsWith(' 0') && acked?.endsWith(' 30');
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    await rest(w.url, 'PUT', `/connectors/${name}/stop`);
    const altered = await rest(w.url, 'PATCH', `/connectors/${name}/offsets`, {
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 2 } }],
    });
    expect(altered.status).toBe(200);
    expect((await rest(w.url, 'GET', `/connectors/${name}/offsets`)).body.offsets[0].offset).toEqual({
      kafka_offset: 2,
    });
    await rest(w.url, 'DELETE', `/connectors/${name}`);
    await rest(w.url, 'DELETE', `/connectors/${src}`);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('worker restart recovery', () => {
  it('after kill -9 brings back every connector in its target state and resumes tasks from stored offsets', async () => {
    const cluster = freshCluster('recover');
    const topic = uniqueId('counter');
    let w = await startWorker(cluster);
    const running = uniqueId('run');
    const paused = uniqueId('paused');
    await rest(w.url, 'POST', '/connectors', { name: running, config: counterConfig(topic, { 'counter.max': '400' }) });
    await rest(w.url, 'POST', '/connectors', {
      name: paused,
      config: counterConfig(uniqueId('other')),
      initial_state: 'PAUSED',
    });
    // Let it write some records and offsets, then crash the worker mid-stream.
    await eventually(
      async () => {
        const o = (await rest(w.url, 'GET', `/connectors/${running}/offsets`)).body;
        return (o.offsets?.[0]?.offset?.n ?? 0) >= 60;
      },
      { what: 'condition', timeoutMs: 60_000 },
    );
    await w.kill();

    w = await startWorker(cluster);
    try {
      expect((await rest(w.url, 'GET', '/connectors')).body.sort()).toEqual([paused, running].sort());
      await eventually(
        async () => {
          const s = (await rest(w.url, 'GET', `/connectors/${paused}/status`)).body;
          return s.connector.state === 'PAUSED';
        },
        { what: 'condition', timeoutMs: 60_000 },
      );
      await eventually(
        async () => {
          const o = (await rest(w.url, 'GET', `/connectors/${running}/offsets`)).body;
          return o.offsets?.[0]?.offset?.n === 399;
        },
        { what: 'condition', timeoutMs: 90_000 },
      );
      // Resumed from the stored offset: every number present, duplicates only from the last unflushed window.
      const values = valuesOf(
        await readTopic(stackEnv().kafka, topic, { until: (r) => new Set(valuesOf(r)).size >= 400 }),
      ).map(Number);
      const distinct = new Set(values);
      expect(distinct.size).toBe(400);
      expect(values.length - distinct.size).toBeLessThan(200);
    } finally {
      await w.stop();
    }
  });
});
