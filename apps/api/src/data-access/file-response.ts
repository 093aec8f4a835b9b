import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { DatasetStorage } from '@sx/storage';
import { parseRange } from '../common/byte-ranges';
import { sendProblem } from '../common/problem';

/** What a download needs of a stored file. */
export interface Downloadable {
  name: string;
  storageKey: string;
  sizeBytes: number;
  sha256?: string;
  contentType?: string;
}

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\.parquet$/, 'application/vnd.apache.parquet'],
  [/\.(jsonl|ndjson)$/, 'application/x-ndjson'],
  [/\.csv$/, 'text/csv; charset=utf-8'],
  [/\.gz$/, 'application/gzip'],
];

export const contentTypeOf = (name: string) => CONTENT_TYPES.find(([re]) => re.test(name))?.[1] ?? 'application/octet-stream';

/** Every Content-Type a stored file is downloaded with (for the OpenAPI document). */
export const FILE_CONTENT_TYPES = ['application/octet-stream', ...CONTENT_TYPES.map(([, type]) => type)];

function setFileHeaders(res: Response, file: Downloadable): void {
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', file.contentType ?? contentTypeOf(file.name));
  if (file.sha256) res.setHeader('ETag', `"${file.sha256}"`);
}

/** HEAD of a file: its headers (Content-Length, Content-Type, Accept-Ranges), no body. */
export function headFile(res: Response, file: Downloadable): void {
  setFileHeaders(res, file);
  res.setHeader('Content-Length', String(file.sizeBytes));
  res.status(200).end();
}

type Part = { start: number; end: number };

/**
 * The one range to send of `size` bytes, or undefined for the whole; false when the Range cannot be
 * satisfied, after answering 416 with `Content-Range: bytes *\/size`.
 */
function partToSend(req: Request, res: Response, size: number, ignoreRange = false): Part | undefined | false {
  const range = ignoreRange ? ({ kind: 'none' } as const) : parseRange(req.headers.range, size);
  res.setHeader('Accept-Ranges', 'bytes');
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    sendProblem(res, 416, `The Range ${String(req.headers.range)} cannot be satisfied: the file has ${size} bytes.`);
    return false;
  }
  return range.kind === 'one' ? { start: range.start, end: range.end } : undefined;
}

const attachment = (name: string) =>
  `attachment; filename="${name
    .split('/')
    .pop()!
    .replace(/["\\\r\n]/g, '')}"`;

/**
 * A file's bytes, streamed. One satisfiable range: 206 with Content-Range; an unsatisfiable one:
 * 416 with `Content-Range: bytes *\/size`; several ranges (or an If-Range that no longer matches):
 * 200 with the whole file, as RFC 9110 allows (no multipart/byteranges here).
 */
export async function sendFile(req: Request, res: Response, storage: DatasetStorage, file: Downloadable): Promise<void> {
  const size = file.sizeBytes;
  const ifRange = req.headers['if-range'];
  const stale = ifRange !== undefined && (!file.sha256 || ifRange !== `"${file.sha256}"`);
  const part = partToSend(req, res, size, stale);
  if (part === false) return;
  const body = await storage.read(file.storageKey, part);
  setFileHeaders(res, file);
  res.setHeader('Content-Disposition', attachment(file.name));
  if (part) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${part.start}-${part.end}/${size}`);
    res.setHeader('Content-Length', String(part.end - part.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(size));
  }
  await pipeline(body, res);
}

/** Sends a small generated text (meta files) the way files are sent: ranges and all. */
export function sendText(req: Request, res: Response, name: string, text: string, contentType: string): void {
  const bytes = Buffer.from(text);
  const part = partToSend(req, res, bytes.length);
  if (part === false) return;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Disposition', attachment(name));
  if (part) {
    res.status(206).setHeader('Content-Range', `bytes ${part.start}-${part.end}/${bytes.length}`);
    res.end(bytes.subarray(part.start, part.end + 1));
    return;
  }
  res.status(200).end(bytes);
}
