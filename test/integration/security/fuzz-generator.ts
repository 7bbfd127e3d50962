import { stackEnv } from '../../helpers/stack';

/** Request generation for rest-fuzz.test.ts: every choice comes from one seeded generator. */

/** mulberry32: small, fast, and the same sequence everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

export interface Planted {
  readonly tokens: string[];
  readonly file: string;
  readonly json: string;
}

export class Generator {
  private readonly r: () => number;
  private readonly names: string[];

  constructor(
    seed: number,
    private readonly id: string,
    private readonly planted: Planted,
  ) {
    this.r = prng(seed);
    const p = planted;
    this.names = [
      `${id}-a`,
      `${id}-b`,
      `${id}-c`,
      'x'.repeat(300),
      'y'.repeat(5000),
      'z'.repeat(70_000),
      'ctl\u0000\u0001\u001b[31m\r\nname',
      'slash/in/name',
      '../../etc/passwd',
      '..',
      '.',
      ' ',
      '',
      'üñïçødé-名前-😀',
      '\ud800broken-surrogate',
      `\${file:${p.file}:k}`,
      `\${file:${p.json}:db.password}`,
      '${env:FERRY_FUZZ_PLANTED}',
      '${env:FERRY_FUZZ_HIDDEN}',
      '${file:/etc/passwd:root}',
      '__consumer_offsets',
      '%2e%2e',
      'name with spaces',
      '"quoted"',
      '<script>alert(1)</script>',
    ];
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }

  name(): string {
    // Most requests go to a few real names, so per-connector endpoints meet connectors that exist.
    return this.chance(0.5) ? this.pick(this.names.slice(0, 3)) : this.pick(this.names);
  }

  private segment(name: string): string {
    if (this.chance(0.85)) return encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?'));
    return this.pick(['%', '%zz', '%00', name.slice(0, 50).replace(/[^\x20-\x7e]/g, '')]);
  }

  value(): unknown {
    const p = this.planted;
    const strings = [
      `\${file:${p.file}:k}`,
      `prefix-\${file:${p.file}:k}-suffix`,
      `\${file:${p.json}:db.password}`,
      `\${file:${p.json}:db}`,
      '${env:FERRY_FUZZ_PLANTED}',
      'iot.${env:FERRY_FUZZ_PLANTED}',
      '${env:FERRY_FUZZ_HIDDEN}',
      '${file:/etc/passwd:root}',
      '${file:/dev/zero:x}',
      '${file:/proc/self/environ:x}',
      '${file:relative:x}',
      '${vault:x}',
      '${',
      '${mqtt.topic[99]}',
      '[hidden]',
      '',
      ' ',
      '-1',
      '0',
      '99999999999999999999',
      'NaN',
      '1e400',
      'true',
      'mqtt://127.0.0.1:1',
      'mqtt://user:pw@127.0.0.1:1884',
      'http://127.0.0.1:1/registry',
      '/dev/zero',
      '/etc/passwd',
      'a'.repeat(100_000),
      '\u0000\u0007\u001b',
      'üñï😀',
      '#',
      '+/#',
      '$share/g/#',
      '__consumer_offsets',
      '_schemas',
    ];
    if (this.chance(0.05)) return this.pick([null, 1, 2.5, true, [], {}, ['a'], { a: 1 }]);
    return this.pick(strings);
  }

  config(name: string | undefined): Record<string, unknown> {
    const { mqtt } = stackEnv();
    const cls = this.pick([
      'MqttSourceConnector',
      'MqttSinkConnector',
      'CounterSource',
      'NoSuchConnector',
      'io.ferry.connect.mqtt.MqttSourceConnector',
    ]);
    const base: Record<string, unknown> = {
      'connector.class': cls,
      'mqtt.server.uri': mqtt,
      'mqtt.topics': `${this.id}/in/#`,
      'mqtt.topic': `${this.id}/out`,
      topics: `${this.id}.out`,
      'kafka.topic': `${this.id}.in`,
      'counter.topic': `${this.id}.counter`,
      'counter.interval.ms': '1000',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'tasks.max': '1',
    };
    if (name !== undefined) base.name = name;
    const keys = [
      ...Object.keys(base),
      'tasks.max',
      'mqtt.password',
      'mqtt.username',
      'mqtt.client.id.prefix',
      'mqtt.value.schema.file',
      'mqtt.value.format',
      'mqtt.ssl.ca',
      'mqtt.qos',
      'transforms',
      'transforms.t.type',
      'errors.tolerance',
      'errors.deadletterqueue.topic.name',
      'value.converter.schema.registry.url',
      'value.converter.basic.auth.user.info',
      'producer.override.bootstrap.servers',
      'kafka.key',
      '${file:/etc/passwd:root}',
      'k'.repeat(10_000),
      '\u0000',
    ];
    for (let i = this.int(4); i > 0; i--) base[this.pick(keys)] = this.value();
    return base;
  }

  private body(obj: unknown): Pick<FuzzRequest, 'body' | 'contentType'> {
    const roll = this.r();
    if (roll < 0.8) return { body: JSON.stringify(obj), contentType: 'application/json' };
    if (roll < 0.85)
      return {
        body: JSON.stringify(obj),
        contentType: this.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']),
      };
    if (roll < 0.88) return { body: JSON.stringify(obj) };
    if (roll < 0.93)
      return {
        body: this.pick(['{"a":', 'not json', '{"a":1}}', '\u0000', '[', '{"name": "x", "config": ']),
        contentType: 'application/json',
      };
    if (roll < 0.96) return { body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, contentType: 'application/json' };
    return {
      body: JSON.stringify(this.pick([null, 1, 'str', [], [obj], { config: null }, { name: 5 }])),
      contentType: 'application/json',
    };
  }

  next(): FuzzRequest {
    const n = this.name();
    const c = `/connectors/${this.segment(n)}`;
    const task = this.pick(['0', '1', '-1', '99999999999999999999', 'abc', '0x1', '1.5', '%20']);
    const plugin = this.segment(this.pick(['MqttSourceConnector', 'MqttSinkConnector', 'CounterSource', 'Nope', n]));
    const roll = this.int(30);
    switch (roll) {
      case 0:
        return {
          method: 'GET',
          path: this.pick([
            '/',
            '/health',
            '/connectors',
            '/connectors?expand=status&expand=info',
            '/connectors?expand=nope',
            '/connector-plugins',
            '/connector-plugins?connectorsOnly=false',
            '/admin/loggers',
            '/metrics',
            '/openapi.json',
          ]),
        };
      case 1:
      case 2:
      case 3:
        return {
          method: 'POST',
          path: '/connectors',
          ...this.body(
            this.chance(0.7)
              ? {
                  name: n,
                  config: this.config(undefined),
                  ...(this.chance(0.2) ? { initial_state: this.pick(['PAUSED', 'STOPPED', 'RUNNING', 'nope']) } : {}),
                }
              : this.config(n),
          ),
        };
      case 4:
      case 5:
      case 6:
        return { method: 'PUT', path: `${c}/config`, ...this.body(this.config(this.chance(0.8) ? n : this.name())) };
      case 7:
      case 8:
        return {
          method: 'PATCH',
          path: `${c}/config`,
          ...this.body({
            [this.pick(['mqtt.server.uri', 'mqtt.password', 'tasks.max', 'name', 'kafka.topic'])]: this.value(),
          }),
        };
      case 9:
      case 10:
        return { method: 'PUT', path: `/connector-plugins/${plugin}/config/validate`, ...this.body(this.config(n)) };
      case 11:
        return { method: 'GET', path: `/connector-plugins/${plugin}/config` };
      case 12:
        return { method: 'GET', path: `${c}${this.pick(['', '/config', '/status', '/tasks', '/topics', '/offsets'])}` };
      case 13:
        return { method: 'GET', path: `${c}/tasks/${task}/status` };
      case 14:
        return { method: 'POST', path: `${c}/tasks/${task}/restart` };
      case 15:
        return {
          method: 'POST',
          path: `${c}/restart${this.pick(['', '?includeTasks=true', '?includeTasks=true&onlyFailed=true', '?includeTasks=maybe'])}`,
        };
      case 16:
        return { method: 'PUT', path: `${c}/${this.pick(['pause', 'resume'])}` };
      case 17:
        return { method: 'PUT', path: `${c}/stop` };
      case 18:
        return { method: 'PUT', path: `${c}/topics/reset` };
      case 19:
        return {
          method: 'PATCH',
          path: `${c}/offsets`,
          ...this.body(
            this.pick([
              { offsets: [{ partition: { kafka_topic: 't', kafka_partition: 0 }, offset: { kafka_offset: 1 } }] },
              { offsets: [] },
              { offsets: [{ partition: this.value(), offset: this.value() }] },
              { offsets: 'x' },
            ]),
          ),
        };
      case 20:
        return { method: 'DELETE', path: `${c}/offsets` };
      case 21:
        return { method: 'DELETE', path: c };
      case 22:
        return {
          method: 'GET',
          path: `/admin/loggers/${this.segment(this.pick(['ferry', 'root', 'org.apache.kafka', n]))}`,
        };
      case 23:
        return {
          method: 'PUT',
          path: `/admin/loggers/${this.segment(this.pick(['ferry.fuzz', 'root', n]))}${this.pick(['', '?scope=cluster', '?scope=worker'])}`,
          ...this.body({ level: this.pick(['INFO', 'WARN', 'nope', 'trace', '', null, 5]) }),
        };
      case 24:
        return {
          method: this.pick(['DELETE', 'PATCH', 'POST', 'OPTIONS', 'HEAD']),
          path: this.pick(['/connectors', '/connector-plugins', `${c}/status`, '/health']),
        };
      case 25:
        return {
          method: 'GET',
          path: this.pick([
            '/connectors/',
            '//connectors',
            '/connectors/%',
            '/nope',
            `/connectors/${this.segment(n)}/tasks/${task}/nope`,
            '/../etc/passwd',
          ]),
        };
      default:
        return {
          method: 'PUT',
          path: `/connector-plugins/${plugin}/config/validate`,
          ...this.body(this.config(this.chance(0.5) ? n : undefined)),
        };
    }
  }
}
