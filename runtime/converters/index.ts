export type { Converter, ConverterDefinition, ConverterSettings } from './types';
export {
  StringConverter,
  ByteArrayConverter,
  stringOf,
  stringConverterDefinition,
  byteArrayConverterDefinition,
} from './simple-converters';
export {
  JsonConverter,
  jsonConverterDefinition,
  connectSchemaToJson,
  jsonToConnectSchema,
  connectValueToJson,
  jsonToConnectValue,
} from './json-converter';
export {
  AvroConverter,
  avroConverterDefinition,
  parseAvroConverterSettings,
  type AvroConverterOptions,
} from './avro-converter';
export { RegistryClient, type RegistryClientOptions } from './registry-client';
export {
  parseSubjectNameStrategy,
  subjectName,
  SUBJECT_NAME_STRATEGIES,
  type SubjectNameStrategy,
} from './subject-strategy';
export { CONVERTER_DEFINITIONS, findConverter } from './registry';
export {
  AVRO_DEFAULT_NAMESPACE,
  AVRO_DEFAULT_RECORD_NAME,
  AVRO_MAP_ENTRY_NAME,
  DECIMAL_PRECISION_PARAMETER,
} from './avro-names';
export { avroToConnectSchema, avroTypeForConnect, connectToAvroSchema } from './avro-schema';
export { AvroValueError, avroToConnectValue, bytesToDecimal, connectToAvroValue, decimalToBytes } from './avro-data';
export { schemaReader } from './schema-reader';
