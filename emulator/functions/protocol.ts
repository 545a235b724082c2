/** Messages between the runtime and a worker process (Node IPC, JSON). */

/** Sent once after fork: what stays the same for every invocation of this function. */
export interface WorkerSetup {
  type: 'setup';
  functionName: string;
  dir: string;
  envId: string;
  adminUrl: string;
  envVariables: Record<string, string>;
  timeoutSeconds: number;
  memoryMB: number;
  /** The emulator's time minus the machine's at the cold start: the function's code loads on that time. */
  clockOffsetMs: number;
}

/** Who an invocation acts for and what triggered it. */
export interface InvocationIdentity {
  openid?: string;
  appid?: string;
  unionid?: string;
  /** TCB_SOURCE: wx_client, wx_http, wx_trigger, wx_client,scf … */
  source: string;
}

export interface WorkerInvoke {
  type: 'invoke';
  requestId: string;
  event: unknown;
  identity: InvocationIdentity;
  /** From the invocation registry; the SDK sends it back as wxCloudApiToken. */
  apiToken: string;
  /** Timer invocations carry TRIGGER_SRC=timer, which makes the SDK send WX_TRIGGER_API_TOKEN_V0. */
  timer: boolean;
  /** The emulator's time minus the machine's when the invocation starts: the function's Date is shifted by it. */
  clockOffsetMs: number;
}

export type ToWorker = WorkerSetup | WorkerInvoke;

export type FromWorker =
  /** The cold start's end: the function's index.js loaded (`ready`) or threw while loading. */
  | { type: 'ready' }
  | { type: 'initFailed'; message: string }
  | { type: 'result'; requestId: string; response: string }
  | { type: 'error'; requestId: string; message: string; stack?: string };
