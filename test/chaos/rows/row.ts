import type { Stream, StreamParams } from '../lib/flow';

/** A row's parameters: the stream's, plus what its fault uses (`n` repetitions, outage length, mode). */
export interface RowParams extends StreamParams {
  readonly n: number;
  readonly outageMs: number;
  readonly mode?: 'stop' | 'kill';
  readonly op?: 'sigterm' | 'pause';
  readonly transform?: 'none' | 'RegexRouter';
}

export interface RowSpec {
  readonly id: string;
  readonly kind: 'source' | 'sink';
  /** Brokers this row stops or kills: the run must give it private instances. */
  readonly privateBrokers?: ('kafka' | 'mqtt')[];
  /** What the row does, for docs/reliability.md. */
  readonly what: string;
  /** The faults, between Stream.open and Stream.finish (done by the runner). */
  run(s: Stream, p: RowParams): Promise<void>;
}
