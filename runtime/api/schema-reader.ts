import type { Schema } from './schema';

/**
 * Schema languages the runtime reads on a plugin's behalf, so that a plugin can accept a user's schema (an `.avsc`
 * file, a registry subject) without carrying a translator of its own. The runtime gives one to config validation
 * ({@link ValidationContext}) and to every task ({@link TaskContext}).
 */
export interface SchemaReader {
  /**
   * An Avro schema (JSON text, a bare primitive name, or the parsed object) as a Connect schema, translated as the
   * Avro converter does, so the schema a task builds records with equals the one the converter registers.
   * Throws an Error naming what is not supported (e.g. a union other than `["null", T]`).
   */
  fromAvro(avsc: string | object): Schema;
}

/** What the runtime gives a plugin's cross-key checks. */
export interface ValidationContext {
  readonly schemas: SchemaReader;
}
