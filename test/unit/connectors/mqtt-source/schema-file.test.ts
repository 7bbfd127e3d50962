import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateMqttSource } from '../../../../connectors/mqtt-source';
import { schemaReader } from '../../../../runtime/converters';

/** mqtt.value.schema.file comes from whoever can reach the REST API: its errors name the file, never its content. */
describe('mqtt.value.schema.file', () => {
  let dir: string;
  const base = {
    'mqtt.server.uri': 'mqtt://127.0.0.1:1884',
    'mqtt.topics': 'a/#',
    'kafka.topic': 'iot.a',
    'mqtt.value.format': 'json',
  };
  const messages = (file: string): string[] =>
    validateMqttSource({ ...base, 'mqtt.value.schema.file': file }, {}, { schemas: schemaReader })
      .filter((i) => i.key === 'mqtt.value.schema.file')
      .map((i) => i.message);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-schema-file-'));
    writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0:MARKER-7f3a:/root:/bin/bash\n');
    writeFileSync(path.join(dir, 'not-avro.json'), '{"type": "MARKER-7f3a-type"}');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says a file is not an Avro schema without quoting it', () => {
    for (const f of ['passwd', 'not-avro.json']) {
      const m = messages(path.join(dir, f));
      expect(m).toEqual([`could not parse "${path.join(dir, f)}" as an Avro schema`]);
    }
  });

  it('refuses FIFOs, devices and folders without reading them', () => {
    expect(messages(path.join(dir, 'fifo'))).toEqual([`file "${path.join(dir, 'fifo')}" is not a regular file`]);
    expect(messages('/dev/zero')).toEqual(['file "/dev/zero" is not a regular file']);
    expect(messages(dir)).toEqual([`file "${dir}" is not a regular file`]);
    expect(messages(path.join(dir, 'missing.avsc'))).toEqual([
      `file "${path.join(dir, 'missing.avsc')}" does not exist`,
    ]);
  });
});
