/**
 * When checkpoints are signed: after every N new entries, every T seconds when there are new entries,
 * at shutdown, and on demand when a receipt or proof needs one that covers a given entry.
 */
import type { Logger } from '../http/logger';
import type { Store } from '../store/port';
import type { CheckpointSigner } from './checkpoint';
import type { Checkpoint } from './types';

export interface CheckpointPolicy {
  /** Sign once this many entries are not under a checkpoint yet. */
  everyEntries: number;
  /** Sign at this interval when there are new entries. */
  everySeconds: number;
}

export interface CheckpointerDeps {
  store: Pick<Store, 'audit'>;
  signer: CheckpointSigner;
  clock: () => Date;
  policy: CheckpointPolicy;
  logger?: Logger;
}

export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Tree size of the newest checkpoint this process knows of. */
  private signedSize = 0;
  private running: Promise<Checkpoint | undefined> | undefined;
  private inFlight = false;

  constructor(private readonly deps: CheckpointerDeps) {}

  get signer(): CheckpointSigner {
    return this.deps.signer;
  }

  /** Signs the current head unless a checkpoint covers it already; returns the newest checkpoint. */
  checkpoint(): Promise<Checkpoint | undefined> {
    // One at a time: a second caller waits for the first and then signs what is new, if anything.
    const run = (this.running ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then(async () => {
        const checkpoint = await this.deps.store.audit.checkpoint((head) =>
          this.deps.signer.sign(head, this.deps.clock().toISOString()),
        );
        if (checkpoint) this.signedSize = Math.max(this.signedSize, checkpoint.treeSize);
        return checkpoint;
      });
    this.running = run;
    return run;
  }

  /** The newest checkpoint, signing one first when none covers entry `seq` yet. */
  async covering(seq: number): Promise<Checkpoint | undefined> {
    const latest = await this.deps.store.audit.latestCheckpoint();
    if (latest && latest.treeSize >= seq) return latest;
    const made = await this.checkpoint();
    return made && made.treeSize >= seq ? made : undefined;
  }

  /** Starts the count and time triggers. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.signedSize = (await this.deps.store.audit.latestCheckpoint())?.treeSize ?? 0;
    const { everyEntries, everySeconds } = this.deps.policy;
    this.unsubscribe = this.deps.store.audit.onAppend((headSeq) => {
      if (headSeq - this.signedSize >= everyEntries) this.background('entries');
    });
    this.timer = setInterval(() => this.background('interval'), everySeconds * 1000);
    this.timer.unref();
  }

  /** Stops the triggers and signs what is left (at shutdown). */
  async stop(): Promise<Checkpoint | undefined> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return this.checkpoint();
  }

  private background(trigger: string): void {
    if (this.inFlight) return;
    this.inFlight = true;
    this.checkpoint()
      .finally(() => (this.inFlight = false))
      .then(
        (checkpoint) =>
          checkpoint &&
          this.deps.logger?.debug('audit checkpoint', { trigger, treeSize: checkpoint.treeSize }),
        (error: Error) => this.deps.logger?.error('audit checkpoint failed', { trigger, error: error.name }),
      );
  }
}
