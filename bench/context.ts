import type { LocalSlack } from '../src/local-slack/index.js';
import type { BenchOptions } from './options.js';
import type { ResponseSink } from './sink.js';

/** What every section shares: the options, the local Slack double and the response_url sink. */
export interface BenchContext {
  options: BenchOptions;
  slack: LocalSlack;
  sink: ResponseSink;
  /** Progress for the person watching (stderr, so stdout stays the table). */
  log(line: string): void;
}

/** A server the ack sections can load. */
export interface AckTarget {
  name: string;
  url: string;
  pid: number;
  /** Whether it answers through the response_url (only Slipway does real work). */
  answers: boolean;
}

/** Registers an undo step, run when the section ends or the run is interrupted. */
export type Defer = (undo: () => Promise<unknown>) => void;
