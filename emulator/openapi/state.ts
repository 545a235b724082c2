/** One cloud call as the emulator saw it: what tests read to check what a function asked WeChat. */
export interface RecordedCall {
  /** 1, 2, 3 … in arrival order since the emulator started */
  seq: number;
  /** ISO time the call arrived, on the emulator's clock */
  at: string;
  /** the cloud-call name (`subscribeMessage.send`) or, for SDK built-ins, the svrkit name (`ApiGetOpenDataByCloudId`) */
  api: string;
  kind: 'openapi' | 'svrkit';
  /** the calling function, or absent when the call came from outside any invocation (a test, a tool) */
  function?: string;
  openid?: string;
  /** the appid the call was made for (`cloud.openapi({appid})`), or the invocation's */
  appid?: string;
  request: unknown;
  /** 0, WeChat's errcode, or the envelope's error code (-604101 …) */
  errCode: number;
  response: unknown;
}

/** The calls recorded since start or the last clear; bounded so a long demo run cannot grow it forever. */
export class CallLog {
  private calls: RecordedCall[] = [];
  private seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly capacity = 10_000,
  ) {}

  add(call: Omit<RecordedCall, 'seq' | 'at'>): void {
    this.calls.push({ seq: ++this.seq, at: new Date(this.now()).toISOString(), ...call });
    if (this.calls.length > this.capacity) this.calls.splice(0, this.calls.length - this.capacity);
  }

  list(filter: { api?: string; function?: string } = {}): RecordedCall[] {
    return this.calls.filter((call) => (!filter.api || call.api === filter.api) && (!filter.function || call.function === filter.function));
  }

  clear(): number {
    const count = this.calls.length;
    this.calls = [];
    return count;
  }
}
