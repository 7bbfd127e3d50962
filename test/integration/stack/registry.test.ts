import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { stackEnv, uniqueId } from '../../helpers';

describe('schema registry of the local stack', () => {
  const { registry } = stackEnv();

  it('registers an Avro schema, encodes in the Confluent wire format, decodes and evolves', async () => {
    const client = new SchemaRegistry({ host: registry });
    const subject = `${uniqueId('smoke')}-value`;
    const v1 = {
      type: 'record',
      name: 'Reading',
      namespace: 'ferry.smoke',
      fields: [
        { name: 'deviceId', type: 'string' },
        { name: 'temp', type: 'double' },
      ],
    };
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    const buf = await client.encode(id, { deviceId: 'press7', temp: 21.5 });
    expect(buf[0]).toBe(0);
    expect(buf.readInt32BE(1)).toBe(id);
    expect(await client.decode(buf)).toEqual({ deviceId: 'press7', temp: 21.5 });

    const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };
    const second = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
    expect(second.id).not.toBe(id);
    expect(await client.getLatestSchemaId(subject)).toBe(second.id);
  });
});
