import type { BatchError, DatasetKind } from '@sx/domain';
import { MalformedFile, RecordFileSource, RecordLimits, eventFacts, isRefused, membershipOffset, profileFacts, readRecords } from '@sx/ingest';
import type { ProducerReport, RowOf, RowSink } from '@sx/persistence';
import type { FailedRowsSink } from './failed-rows';

/** At most this many refused records are listed on a failed batch (all are counted). */
export const MAX_LISTED_ERRORS = 100;

export interface BatchRowLimits extends RecordLimits {
  /** Most records of the batch, all files together. */
  maxBatchRecords: number;
}

/** A file of the batch: its name and its bytes. */
export type BatchFileSource = RecordFileSource;

/** How a batch treats its refused records. */
export interface RefusalPolicy {
  /** AEP's partialIngestionPercentage; absent: any refused record fails the batch (nothing is written after it). */
  partialIngestionPercent?: number;
  /** With a threshold: where the refused records go (Data Access /failed). */
  failedRows?: FailedRowsSink;
}

/** Refusals that fail the batch whatever its threshold: the file or the batch as a whole is at fault. */
const FATAL = new Set(['MALFORMED_FILE', 'BATCH_TOO_LARGE', 'EMPTY_BATCH']);

/**
 * The rows of a batch's files, validated record by record, into the promotion's COPY. Every
 * refusal names its file and line. Without a threshold nothing more is written after the first
 * one (the batch will roll back) but reading goes on to count them; with one, refused records are
 * skipped (sent to `failedRows`) and the others written, and the report says whether the batch
 * stays within it. An unreadable file (corrupt gzip, a bomb, a broken JSON array) ends at its
 * first fault; a batch over its record limit ends the reading at once: both fail the batch.
 */
export async function produceBatchRows<K extends DatasetKind>(
  kind: K,
  files: BatchFileSource[],
  limits: BatchRowLimits,
  sink: RowSink<RowOf<K>>,
  policy: RefusalPolicy = {},
): Promise<ProducerReport> {
  const tolerant = policy.partialIngestionPercent !== undefined;
  const report: ProducerReport = { recordCount: 0, failedRecordCount: 0, errors: [] };
  let fatal = false;
  const refuse = async (error: BatchError, text?: string) => {
    report.failedRecordCount++;
    if (report.errors.length < MAX_LISTED_ERRORS) report.errors.push(error);
    if (FATAL.has(error.code)) fatal = true;
    else if (tolerant && error.file !== undefined) await policy.failedRows?.write({ ...error, file: error.file }, text);
  };
  try {
    await readFiles(
      kind,
      files,
      limits,
      refuse,
      async (row) => {
        report.recordCount++;
        if (tolerant || !report.failedRecordCount) await sink.write(row);
      },
      () => report.recordCount + report.failedRecordCount,
    );
    if (report.recordCount === 0 && !report.failedRecordCount) {
      await refuse({ code: 'EMPTY_BATCH', description: files.length ? 'the batch files hold no records' : 'the batch has no files' });
    }
    if (tolerant && !fatal) {
      const total = report.recordCount + report.failedRecordCount;
      report.withinThreshold = report.failedRecordCount * 100 <= policy.partialIngestionPercent! * total;
    }
    if (policy.failedRows) {
      const written = await policy.failedRows.close();
      if (report.withinThreshold && report.failedRecordCount) report.failedFiles = written;
    }
  } catch (e) {
    await policy.failedRows?.abort();
    throw e;
  }
  return report;
}

/** Reads every file, handing out each valid row and each refusal; stops at the batch record limit. */
async function readFiles<K extends DatasetKind>(
  kind: K,
  files: BatchFileSource[],
  limits: BatchRowLimits,
  refuse: (error: BatchError, text?: string) => Promise<void>,
  accept: (row: RowOf<K>) => Promise<void>,
  seen: () => number,
): Promise<void> {
  for (const file of files) {
    const input = await file.open();
    try {
      for await (const raw of readRecords(input, limits)) {
        const at = { file: file.name, line: raw.line };
        if (seen() >= limits.maxBatchRecords) {
          return await refuse({ code: 'BATCH_TOO_LARGE', description: `the batch holds more than ${limits.maxBatchRecords} records`, ...at });
        }
        if (isRefused(raw)) {
          await refuse({ ...raw.refused, ...at });
          continue;
        }
        const row = rowOf(kind, raw.text);
        if (row === MALFORMED) await refuse({ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', ...at }, raw.text);
        else if (typeof row === 'string') await refuse({ code: 'INVALID_RECORD', description: row, ...at }, raw.text);
        else await accept(row);
      }
    } catch (e) {
      if (!(e instanceof MalformedFile)) throw e;
      await refuse({ code: 'MALFORMED_FILE', description: e.message, file: file.name, line: e.line });
    } finally {
      input.destroy();
    }
  }
}

const MALFORMED = Symbol('malformed');

/** One record's row, or why it is refused (MALFORMED: not JSON). */
function rowOf<K extends DatasetKind>(kind: K, text: string): RowOf<K> | string | typeof MALFORMED {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return MALFORMED;
  }
  const verdict = kind === 'profile' ? profileFacts(value) : eventFacts(value);
  if (!verdict.ok) return verdict.reason;
  // A record of a pretty-printed JSON array spans lines. A raw line break in valid JSON can only
  // be whitespace between tokens: it becomes a space, so that the stored text (which exports
  // write as it is, one record per line) is one line.
  const json = /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
  const row = kind === 'profile' ? { ...verdict.value, json, membershipAt: membershipOffset(json, value as Record<string, unknown>) } : { ...verdict.value, json };
  return row as RowOf<K>;
}
