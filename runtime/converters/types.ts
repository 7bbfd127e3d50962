import type { ConfigIssue, ConfigProperty, Header, Schema, SchemaAndValue } from '../api';

/**
 * Turns Connect data into bytes for Kafka and back, as Connect's Converter. A converter may answer synchronously
 * (the hot path: cached schema, no I/O) or with a Promise (first record of a schema, registry round trip).
 */
export interface Converter {
  fromConnect(
    topic: string,
    schema: Schema | undefined,
    value: unknown,
    headers?: readonly Header[],
  ): Buffer | null | Promise<Buffer | null>;
  toConnect(topic: string, bytes: Buffer | null, headers?: readonly Header[]): SchemaAndValue | Promise<SchemaAndValue>;
  /**
   * A header value as text, for a converter whose bytes for this value are exactly the text's UTF-8 encoding; or
   * undefined to have the pipeline call {@link fromConnect}. Kafka's Node client takes header values as text, so text
   * saves building bytes the client would turn back into text (a source record's headers cost as much as its value).
   */
  headerText?(schema: Schema | undefined, value: unknown): string | null | undefined;
  close?(): Promise<void>;
}

/** A converter's settings: its prefixed keys with the prefix removed (`schema.registry.url`, `schemas.enable`…). */
export type ConverterSettings = Readonly<Record<string, string>>;

/** A converter kind the pipeline can instantiate, with its Connect class name and accepted aliases. */
export interface ConverterDefinition {
  readonly className: string;
  readonly aliases: readonly string[];
  /** Also usable as `header.converter`, listed as a header_converter plugin. */
  readonly headerConverter: boolean;
  /** Settings understood, keyed without prefix. */
  readonly configKeys: Readonly<Record<string, ConfigProperty>>;
  /** Every problem with the settings; keys are relative to the converter's prefix. */
  validate(settings: ConverterSettings, isKey: boolean): ConfigIssue[];
  /** Builds a converter; no I/O. */
  create(settings: ConverterSettings, isKey: boolean): Converter;
}
