/** The simulated WeChat's test face: cloudIDs as a client would get them, and the record of cloud calls. */
export interface IssueCloudId {
  openid: string;
  appid: string;
  kind: 'shareInfo' | 'groupEnterInfo';
  groupId: string;
  chatType?: number;
  needGroupOpenID?: boolean;
  issuedAt?: number;
}

export async function issueCloudId(url: string, body: IssueCloudId): Promise<string> {
  const response = await fetch(`${url}/__rukou/wechat/cloudid`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as { cloudID?: string; message?: string };
  if (!response.ok || !answer.cloudID) throw new Error(`cloudid route answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer.cloudID;
}

export interface RecordedCall {
  seq: number;
  api: string;
  kind: string;
  function?: string;
  openid?: string;
  appid?: string;
  request: unknown;
  errCode: number;
  response: unknown;
}

export async function recordedCalls(url: string, filter = ''): Promise<RecordedCall[]> {
  return ((await (await fetch(`${url}/__rukou/openapi/calls${filter}`)).json()) as { calls: RecordedCall[] }).calls;
}

export async function clearCalls(url: string): Promise<number> {
  return ((await (await fetch(`${url}/__rukou/openapi/calls`, { method: 'DELETE' })).json()) as { cleared: number }).cleared;
}
