/** A PUBLISH over the size limit, read up to its packet id; its payload was never kept. */
export interface OversizedPublish {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly dup: boolean;
  readonly retain: boolean;
  readonly packetId: number | undefined;
  /** The whole packet's size on the wire. */
  readonly bytes: number;
}

export interface PacketGateSink {
  /** Bytes of packets within the limit, in order, for the MQTT parser. */
  forward(bytes: Buffer): void;
  /** An oversized PUBLISH, at its place in the stream (after every packet before it was forwarded). */
  oversized(publish: OversizedPublish): void;
  /** The stream cannot be MQTT (a malformed length). */
  error(err: Error): void;
}

const PUBLISH = 3;

/** MQTT's own limit: a 4-byte remaining length (268,435,455) plus the fixed header. */
const MAX_MQTT_PACKET_BYTES = 268_435_460;

/**
 * Sits between the socket and mqtt-packet's parser, which buffers each packet whole before it parses it: one PUBLISH
 * of hundreds of megabytes (MQTT allows 256 MB) would be held in memory, whatever a broker on MQTT 3.1.1 — which
 * has no way to learn our limit — chooses to send. The gate reads each packet's fixed header itself: a packet within
 * `maxBytes` goes to the parser as it arrives; a larger PUBLISH has its topic and packet id kept (so it can be
 * acknowledged in order and reported) and the rest of it dropped as it streams past. Memory stays bounded by the
 * limit plus one topic name.
 */
export class PacketGate {
  /** Fixed-header bytes of the packet being read, until its length is known. */
  private header: number[] = [];
  /** Where the header being read began in the current chunk; -1 when it began in an earlier one. */
  private headerStart = -1;
  /** Bytes of the current packet still to come after its fixed header. */
  private remaining = 0;
  private mode: 'header' | 'pass' | 'skip' = 'header';
  /** For a skipped PUBLISH: the first bytes of its variable header (topic length, topic, packet id). */
  private head: Buffer[] = [];
  private headBytes = 0;
  private headNeeded = 2;
  private skipped: { flags: number; bytes: number } | undefined;

  private readonly maxBytes: number;

  /** `maxBytes` undefined: MQTT's own limit. */
  constructor(
    maxBytes: number | undefined,
    private readonly sink: PacketGateSink,
  ) {
    this.maxBytes = maxBytes ?? MAX_MQTT_PACKET_BYTES;
  }

  push(chunk: Buffer): void {
    let at = 0;
    // Start of the run of bytes in this chunk that goes to the parser, or -1.
    let passFrom = -1;
    const flush = (end: number): void => {
      if (passFrom >= 0 && end > passFrom) this.sink.forward(chunk.subarray(passFrom, end));
      passFrom = -1;
    };
    while (at < chunk.length) {
      if (this.mode === 'pass') {
        const n = Math.min(this.remaining, chunk.length - at);
        if (passFrom < 0) passFrom = at;
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) this.mode = 'header';
        continue;
      }
      if (this.mode === 'skip') {
        at = this.skip(chunk, at);
        continue;
      }
      // A fixed header: one type byte, then 1-4 bytes of remaining length (it may span chunks).
      if (this.header.length === 0) this.headerStart = at;
      const byte = chunk[at++]!;
      this.header.push(byte);
      if (this.header.length === 1) continue;
      if (byte & 0x80) {
        if (this.header.length > 4) return this.sink.error(new Error('malformed MQTT remaining length'));
        continue;
      }
      let length = 0;
      for (let i = this.header.length - 1; i >= 1; i--) length = length * 128 + (this.header[i]! & 0x7f);
      const first = this.header[0]!;
      const inChunk = this.headerStart >= 0;
      if (first >> 4 === PUBLISH && this.header.length + length > this.maxBytes) {
        flush(inChunk ? this.headerStart : at);
        this.startSkip(first & 0x0f, this.header.length + length, length);
        this.header = [];
        continue;
      }
      if (!inChunk) {
        flush(at);
        this.sink.forward(Buffer.from(this.header));
      } else if (passFrom < 0) passFrom = this.headerStart;
      this.header = [];
      this.remaining = length;
      this.mode = length > 0 ? 'pass' : 'header';
    }
    if (this.header.length > 0 && this.headerStart >= 0) flush(this.headerStart);
    else flush(chunk.length);
    // A header still incomplete began in this chunk; in the next one it is one that began earlier.
    this.headerStart = -1;
  }

  private startSkip(flags: number, bytes: number, length: number): void {
    this.mode = length > 0 ? 'skip' : 'header';
    this.remaining = length;
    this.skipped = { flags, bytes };
    this.head = [];
    this.headBytes = 0;
    this.headNeeded = 2;
    if (length === 0) this.finishSkip();
  }

  /** Consumes bytes of a skipped PUBLISH, keeping its topic and packet id; returns the new position. */
  private skip(chunk: Buffer, at: number): number {
    const end = at + Math.min(this.remaining, chunk.length - at);
    const qos = ((this.skipped?.flags ?? 0) >> 1) & 0x03;
    let i = at;
    while (this.headBytes < this.headNeeded && i < end) {
      const take = Math.min(end - i, this.headNeeded - this.headBytes);
      // Copied: a view would keep the whole socket chunk alive.
      this.head.push(Buffer.from(chunk.subarray(i, i + take)));
      this.headBytes += take;
      i += take;
      if (this.headNeeded === 2 && this.headBytes >= 2) {
        this.headNeeded = 2 + Buffer.concat(this.head).readUInt16BE(0) + (qos > 0 ? 2 : 0);
      }
    }
    this.remaining -= end - at;
    if (this.remaining === 0) this.finishSkip();
    return end;
  }

  private finishSkip(): void {
    const skipped = this.skipped!;
    const head = Buffer.concat(this.head);
    const qos = ((skipped.flags >> 1) & 0x03) as 0 | 1 | 2;
    const topicLength = head.length >= 2 ? head.readUInt16BE(0) : 0;
    const topic = head.subarray(2, 2 + topicLength).toString('utf8');
    const packetId = qos > 0 && head.length >= 4 + topicLength ? head.readUInt16BE(2 + topicLength) : undefined;
    this.mode = 'header';
    this.skipped = undefined;
    this.head = [];
    this.sink.oversized({
      topic,
      qos,
      dup: (skipped.flags & 0x08) !== 0,
      retain: (skipped.flags & 0x01) !== 0,
      packetId,
      bytes: skipped.bytes,
    });
  }
}
