import mqtt from 'mqtt';

/** Where the demo's pieces live; defaults are the local stack's. */
export interface DemoOptions {
  readonly restUrl: string;
  readonly mqttUrl: string;
  readonly kafkaBootstrap: string;
  readonly print: (line: string) => void;
}

const SOURCE = 'demo-sensors';
const SINK = 'demo-echo';
const ROOMS = ['kitchen', 'garage', 'attic', 'cellar', 'office'];

async function call(
  restUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${restUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return { status: res.status, body: parsed };
}

async function waitRunning(restUrl: string, name: string, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = '';
  while (Date.now() < deadline) {
    const s = (await call(restUrl, 'GET', `/connectors/${name}/status`)).body as {
      connector: { state: string; trace?: string };
      tasks: { state: string; trace?: string }[];
    };
    last = JSON.stringify(s);
    if (s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')) return;
    const failed = [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
    if (failed) throw new Error(`${name} FAILED: ${failed.trace?.split('\n')[0] ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not RUNNING after ${limitMs / 1000} s: ${last}`);
}

/**
 * `make run`'s demo: an MQTT source (demo/sensors/# → Kafka demo.sensors, Avro envelopes) and an MQTT sink
 * (demo.sensors → demo/echo/<room>, original payload bytes), a few readings published, and what came back.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  const p = o.print;
  // PUT config creates or updates: running the demo twice reuses the same connectors.
  await call(o.restUrl, 'PUT', `/connectors/${SOURCE}/config`, {
    'connector.class': 'MqttSourceConnector',
    'tasks.max': '1',
    'mqtt.server.uri': o.mqttUrl,
    'mqtt.topics': 'demo/sensors/#',
    'mqtt.qos': '1',
    'kafka.topic': 'demo.sensors',
    'kafka.key': '${mqtt.topic[2]}',
    'mqtt.value.format': 'envelope',
  });
  await call(o.restUrl, 'PUT', `/connectors/${SINK}/config`, {
    'connector.class': 'MqttSinkConnector',
    'tasks.max': '1',
    topics: 'demo.sensors',
    'mqtt.server.uri': o.mqttUrl,
    'mqtt.topic': 'demo/echo/${key}',
    'mqtt.qos': '1',
    'mqtt.payload.format': 'envelope',
  });
  await waitRunning(o.restUrl, SOURCE, 60_000);
  await waitRunning(o.restUrl, SINK, 60_000);
  p(
    `connectors ${SOURCE} (MQTT demo/sensors/# → Kafka demo.sensors, Avro) and ${SINK} (Kafka → MQTT demo/echo/<room>) are RUNNING`,
  );

  const client = await mqtt.connectAsync(o.mqttUrl, { clientId: `ferry-demo-${process.pid}`, protocolVersion: 5 });
  try {
    const run = Date.now().toString(36);
    const echoes = new Map<string, string>();
    client.on('message', (topic, payload) => {
      const text = payload.toString();
      if (text.includes(run)) echoes.set(topic, text);
    });
    await client.subscribeAsync('demo/echo/#', { qos: 1 });
    for (const [i, room] of ROOMS.entries()) {
      const reading = JSON.stringify({ device: room, temp: 18 + i * 1.5, humidity: 40 + i, run, ts: Date.now() });
      await client.publishAsync(`demo/sensors/${room}`, reading, { qos: 1 });
      p(`published  demo/sensors/${room}  ${reading}`);
    }
    const deadline = Date.now() + 60_000;
    while (echoes.size < ROOMS.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const [topic, text] of echoes) p(`echoed     ${topic}  ${text}`);
    if (echoes.size < ROOMS.length) {
      p(`only ${echoes.size} of ${ROOMS.length} readings came back within a minute: see the worker's log above`);
    } else {
      p(`all ${ROOMS.length} readings went MQTT → Kafka (topic demo.sensors, Avro via the schema registry) → MQTT`);
    }
  } finally {
    await client.endAsync();
  }
  const port = new URL(o.mqttUrl).port || '1883';
  p('');
  p('Try next (in another terminal, from the repository):');
  p(`  open ${o.restUrl}/ui/ in a browser                       # the web console: connectors, throughput, actions`);
  p(`  export FERRY_CONNECT_URL=${o.restUrl}`);
  p(`  deploy/scripts/ferry-connect list                      # connectors`);
  p(`  deploy/scripts/ferry-connect status ${SOURCE}          # state and worker of each task`);
  p(`  deploy/scripts/ferry-connect offsets ${SOURCE}         # progress per subscription`);
  p(`  mosquitto_sub -p ${port} -t 'demo/echo/#' -v           # watch the echoes`);
  p(`  mosquitto_pub -p ${port} -q 1 -t demo/sensors/porch -m '{"temp": 12.5}'`);
  p(`  deploy/local/stack.sh kafka console-consumer --topic demo.sensors --from-beginning   # raw Avro records`);
  p(`  curl -s ${o.restUrl}/metrics | grep ferry_task_          # Prometheus metrics`);
  p('Ctrl-C stops the worker; `make down` stops Kafka, the registry and Mosquitto.');
}
