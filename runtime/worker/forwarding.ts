import { FerryError } from '../api';

/** Calls another worker's REST API, addressed by its worker id; main supplies one that speaks TLS and auth. */
export type ForwardRequest = (
  workerId: string,
  method: string,
  path: string,
  signal: AbortSignal,
) => Promise<{ status: number; body: string }>;

/** Plain HTTP without a credential: what a worker without TLS or REST authentication uses. */
export const plainForward: ForwardRequest = async (workerId, method, path, signal) => {
  const res = await fetch(`http://${workerId}${path}`, { method, signal });
  return { status: res.status, body: await res.text().catch(() => '') };
};

/**
 * Forwards a task restart to the worker that runs the task, over its REST API, as Connect forwards requests between
 * workers. Two workers whose views of the status disagree for a moment would pass the request back and forth: a
 * request that comes back while this worker is forwarding it ends here.
 */
export class RestartForwarder {
  private readonly inFlight = new Set<string>();

  /** `timeoutMs` bounds one forwarded call: the other worker's restart includes stopping the task. */
  constructor(
    private readonly forward: ForwardRequest,
    private readonly timeoutMs: number,
  ) {}

  async restartTask(workerId: string, name: string, task: number): Promise<void> {
    const key = JSON.stringify([name, task]);
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      await this.forwardOnce(workerId, name, task);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async forwardOnce(workerId: string, name: string, task: number): Promise<void> {
    const path = `/connectors/${encodeURIComponent(name)}/tasks/${task}/restart`;
    let res: { status: number; body: string };
    try {
      res = await this.forward(workerId, 'POST', path, AbortSignal.timeout(this.timeoutMs));
    } catch (err) {
      throw new FerryError(
        'CONFLICT',
        `Task ${name}-${task} runs on worker ${workerId}, which could not be reached (${(err as Error).message}); retry shortly`,
      );
    }
    if (res.status >= 300) {
      throw new FerryError(
        res.status === 404 ? 'NOT_FOUND' : 'CONFLICT',
        `Worker ${workerId}, which runs task ${name}-${task}, answered ${res.status}: ${res.body.slice(0, 300)}; retry shortly`,
      );
    }
  }
}
