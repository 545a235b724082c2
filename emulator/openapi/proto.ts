import protobuf from 'protobufjs';

/**
 * The protobuf envelope of `wx.openApi`, written from the field numbers of the messages bundled
 * in wx-server-sdk 4.x (`$root.CommApiData` and friends in its index.js). Only the messages the
 * emulator reads or writes are declared; unknown fields (innerData, tokenData) are skipped by the
 * decoder, which is what protobuf does with fields a reader does not know.
 */
const SCHEMA = `
syntax = "proto3";

message KeyValuePair {
  string key = 1;
  bytes value = 2;
  string contenttype = 3;
  string filename = 4;
}

message OpenApiData {
  repeated KeyValuePair pairs = 1;
}

message SvrkitApiData {
  string apiName = 1;
  bytes reqData = 2;
}

message CommApiData {
  enum ApiType {
    OPEN_API = 0;
    INNER_API = 1;
    SVRKIT_API = 2;
    TOKEN_API = 3;
  }
  ApiType apiType = 1;
  OpenApiData openapiData = 2;
  SvrkitApiData svrkitData = 4;
  string appid = 6;
}

message HttpHeader {
  string key = 1;
  string value = 2;
}

message CommOpenApiResp {
  bytes respData = 1;
  string contentType = 2;
  int32 errorCode = 3;
  uint32 httpCode = 4;
  repeated HttpHeader headers = 5;
  int32 svrkitErrorCode = 6;
}

message ApiGetOpenDataByCloudIdReq {
  repeated string cloudidList = 2;
  string appid = 3;
}

message ApiGetOpenDataByCloudIdResp {
  message OpDataItem {
    string cloudId = 1;
    string json = 2;
  }
  repeated OpDataItem dataList = 1;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const type = (name: string): protobuf.Type => root.lookupType(name);

export const ApiType = { OPEN_API: 0, INNER_API: 1, SVRKIT_API: 2, TOKEN_API: 3 } as const;

export interface KeyValuePair {
  key: string;
  value: Buffer;
  contenttype: string;
  filename: string;
}

export interface CommApiData {
  apiType: number;
  openapiData?: { pairs: KeyValuePair[] } | null;
  svrkitData?: { apiName: string; reqData: Buffer } | null;
  appid: string;
}

export interface CommOpenApiResp {
  respData?: Buffer;
  contentType?: string;
  errorCode?: number;
  httpCode?: number;
  svrkitErrorCode?: number;
}

const toObject = <T>(name: string, bytes: Uint8Array): T =>
  type(name).toObject(type(name).decode(bytes), { defaults: true, arrays: true, bytes: Buffer }) as T;

const encode = (name: string, message: object): Buffer => Buffer.from(type(name).encode(type(name).fromObject(message)).finish());

export const decodeCommApiData = (bytes: Uint8Array): CommApiData => toObject<CommApiData>('CommApiData', bytes);
export const encodeCommApiData = (message: Partial<CommApiData>): Buffer => encode('CommApiData', message);
export const decodeCommOpenApiResp = (bytes: Uint8Array): CommOpenApiResp => toObject<CommOpenApiResp>('CommOpenApiResp', bytes);
export const encodeCommOpenApiResp = (message: CommOpenApiResp): Buffer => encode('CommOpenApiResp', message);

export const decodeOpenDataRequest = (bytes: Uint8Array): { cloudidList: string[]; appid: string } =>
  toObject('ApiGetOpenDataByCloudIdReq', bytes);
export const encodeOpenDataRequest = (message: { cloudidList: string[]; appid?: string }): Buffer => encode('ApiGetOpenDataByCloudIdReq', message);
export const decodeOpenDataResponse = (bytes: Uint8Array): { dataList: { cloudId: string; json: string }[] } =>
  toObject('ApiGetOpenDataByCloudIdResp', bytes);
export const encodeOpenDataResponse = (message: { dataList: { cloudId: string; json: string }[] }): Buffer =>
  encode('ApiGetOpenDataByCloudIdResp', message);
