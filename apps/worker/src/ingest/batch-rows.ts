import type { BatchError, DatasetKind } from '@sx/domain';
import { MalformedFile, RecordFileSource, RecordLimits, eventFacts, isRefused, membershipOffset, profileFacts, readRecords } from '@sx/ingest';
import type { ProducerReport, RowOf, RowSink } from '@sx/persistence';

/** At most this many refused records are listed on a failed batch (all are counted). */
export const MAX_LISTED_ERRORS = 100;

export interface BatchRowLimits extends RecordLimits {
  /** Most records of the batch, all files together. */
  maxBatchRecords: number;
}

/** A file of the batch: its name and its bytes. */
export type BatchFileSource = RecordFileSource;

/**
 * The rows of a batch's files, validated record by record, into the promotion's COPY. Every
 * refusal names its file and line; after the first one nothing more is written (the batch will
 * roll back) but reading goes on to count them. An unreadable file (corrupt gzip, a bomb, a broken
 * JSON array) ends at its first fault; a batch over its record limit ends the reading at once.
 */
export async function produceBatchRows<K extends DatasetKind>(
  kind: K,
  files: BatchFileSource[],
  limits: BatchRowLimits,
  sink: RowSink<RowOf<K>>,
): Promise<ProducerReport> {
  const report: ProducerReport = { recordCount: 0, failedRecordCount: 0, errors: [] };
  const refuse = (error: BatchError) => {
    report.failedRecordCount++;
    if (report.errors.length < MAX_LISTED_ERRORS) report.errors.push(error);
  };
  for (const file of files) {
    const input = await file.open();
    try {
      for await (const raw of readRecords(input, limits)) {
        if (report.recordCount + report.failedRecordCount >= limits.maxBatchRecords) {
          refuse({ code: 'BATCH_TOO_LARGE', description: `the batch holds more than ${limits.maxBatchRecords} records`, file: file.name, line: raw.line });
          return report;
        }
        if (isRefused(raw)) {
          refuse({ ...raw.refused, file: file.name, line: raw.line });
          continue;
        }
        const row = rowOf(kind, raw.text);
        if (row === MALFORMED) {
          refuse({ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: file.name, line: raw.line });
          continue;
        }
        if (typeof row === 'string') {
          refuse({ code: 'INVALID_RECORD', description: row, file: file.name, line: raw.line });
          continue;
        }
        report.recordCount++;
        if (!report.failedRecordCount) await sink.write(row);
      }
    } catch (e) {
      if (!(e instanceof MalformedFile)) throw e;
      refuse({ code: 'MALFORMED_FILE', description: e.message, file: file.name, line: e.line });
    } finally {
      input.destroy();
    }
  }
  if (report.recordCount === 0 && !report.failedRecordCount) {
    refuse({ code: 'EMPTY_BATCH', description: files.length ? 'the batch files hold no records' : 'the batch has no files' });
  }
  return report;
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
  const row = kind === 'profile' ? { ...verdict.value, json: text, membershipAt: membershipOffset(text, value as Record<string, unknown>) } : { ...verdict.value, json: text };
  return row as RowOf<K>;
}
