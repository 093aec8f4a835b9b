import { DRY_RUN_SAMPLE_ROWS, type DryRunResult } from '@sx/domain';
import type { PipelineCounters, RowSink } from './export-pipeline';
import type { ExportRow, OutputFormat } from './writers/row-writer';

/** A row as a reader of the output file gets it: JSON Lines is the profile; Parquet (and other tabular formats) its columns. */
function readerRowOf(format: OutputFormat, row: ExportRow): Record<string, unknown> {
  const profile = profileOf(row);
  if (format === 'jsonl') return profile;
  return { primaryNamespace: row.primaryNamespace, primaryId: row.primaryId, profile };
}

/**
 * The profile as the writers serialise it, parsed back: stored bytes are joined as JSON Lines
 * and Parquet write them (their views are only valid during the sink call, so this copies them);
 * an object goes through JSON.stringify as the writers do.
 */
function profileOf(row: ExportRow): Record<string, unknown> {
  if (row.profileParts) {
    const { head, middle, tail } = row.profileParts;
    const bytes = Buffer.concat([head, middle ?? new Uint8Array(0), Buffer.from(tail, 'utf8')]);
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  }
  return JSON.parse(JSON.stringify(row.profile)) as Record<string, unknown>;
}

/**
 * Where a dry run's rows go instead of a batch: the first DRY_RUN_SAMPLE_ROWS kept, the rest
 * dropped (the pipeline counts them). Each profile comes once, whatever segments it satisfied:
 * under segmentPerBatch it would be written into each of their batches, and is sampled once.
 */
export class DryRunSink {
  private readonly sample: Array<Record<string, unknown>> = [];

  constructor(private readonly format: OutputFormat) {}

  readonly write: RowSink = (row) => {
    if (this.sample.length < DRY_RUN_SAMPLE_ROWS) this.sample.push(readerRowOf(this.format, row));
  };

  result(counters: PipelineCounters, withSegments: boolean): DryRunResult {
    const sorted = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      profiles: counters.profiles,
      byNamespace: sorted(counters.byNamespace),
      ...(withSegments ? { bySegment: sorted(counters.bySegment ?? {}) } : {}),
      sample: this.sample,
    };
  }
}
