/**
 * Long release operations the server runs in its own process (a deploy, a promote, the deploy an
 * approval releases): the HTTP request answers 202 at once and the operation goes on in the
 * background, journaling every step in the ledger like the CLI does. One operation per environment
 * at a time (the ledger's lock also guards against other processes). An operation that fails
 * before the ledger records anything keeps its error here, so `GET /api/deploys/:id` can say why.
 */
import { isShipgateError } from "../core/errors.js";

export interface OperationError {
  code: string;
  message: string;
  hint?: string;
}

export interface Operation {
  deployId: string;
  environment: string;
  /** What runs: deploy, rollback, promote, abort, approve. */
  kind: string;
  actor: string;
  startedAt: string;
  state: "running" | "done" | "failed";
  error: OperationError | null;
}

export interface Operations {
  /** The running operation of an environment, if any. */
  running(environment: string): Operation | undefined;
  /** The latest operation on a deploy (kept for the last 200 operations). */
  get(deployId: string): Operation | undefined;
  /** What a failed operation threw (to rethrow as the request's answer), if it failed. */
  thrownBy(operation: Operation): unknown;
  /**
   * Starts `work` in the background. Returns the operation and a promise that settles when it
   * ends (never rejects: failures are in operation.error).
   */
  start(
    meta: Omit<Operation, "state" | "error" | "startedAt">,
    work: () => Promise<unknown>,
  ): { operation: Operation; finished: Promise<void> };
  /** Waits for running operations, at most `graceMs`. */
  close(graceMs: number): Promise<void>;
}

const kept = 200;

function describe(error: unknown): OperationError {
  if (isShipgateError(error)) {
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { code: "INTERNAL", message: "the operation failed; the server log has the details" };
}

export function createOperations(options: {
  now?: () => Date;
  onError?: (operation: Operation, error: unknown) => void;
}): Operations {
  const now = options.now ?? (() => new Date());
  const byDeploy = new Map<string, Operation>();
  const thrown = new WeakMap<Operation, unknown>();
  const active = new Map<string, { operation: Operation; finished: Promise<void> }>();

  return {
    running: (environment) => active.get(environment)?.operation,
    get: (deployId) => byDeploy.get(deployId),
    thrownBy: (operation) => thrown.get(operation),
    start(meta, work) {
      const operation: Operation = { ...meta, startedAt: now().toISOString(), state: "running", error: null };
      byDeploy.delete(meta.deployId);
      byDeploy.set(meta.deployId, operation);
      while (byDeploy.size > kept) {
        const oldest = byDeploy.keys().next().value as string;
        byDeploy.delete(oldest);
      }
      const finished = (async () => {
        try {
          await work();
          operation.state = "done";
        } catch (error) {
          operation.state = "failed";
          operation.error = describe(error);
          thrown.set(operation, error);
          if (!isShipgateError(error) || error.httpStatus >= 500) options.onError?.(operation, error);
        } finally {
          if (active.get(meta.environment)?.operation === operation) active.delete(meta.environment);
        }
      })();
      active.set(meta.environment, { operation, finished });
      return { operation, finished };
    },
    async close(graceMs) {
      const pending = [...active.values()].map((a) => a.finished);
      if (pending.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
