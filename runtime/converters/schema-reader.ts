import type { SchemaReader } from '../api';
import { avroToConnectSchema } from './avro-schema';

/** The runtime's {@link SchemaReader}: the Avro converter's own translation, so plugins and converter agree. */
export const schemaReader: SchemaReader = { fromAvro: avroToConnectSchema };
