import Ajv from 'ajv';
import type { Batch } from '@sx/domain';
import { ACTED_BATCH_SCHEMA, CREATED_BATCH_SCHEMA } from '../ingestion/batch-ingestion.openapi';
import { BATCH_SCHEMA } from './catalog.openapi';
import { presentBatch, presentImportBatch } from './catalog.presenter';

const ORG = '1BD6382559DF0C130A49422D@AdobeOrg';
const CREATED = new Date('2024-07-01T00:00:00.000Z');
const UPDATED = new Date('2024-07-01T00:05:00.000Z');
const PREDECESSOR = 'a'.repeat(32);

function batch(overrides: Partial<Batch> = {}): Batch {
  return {
    id: 'b'.repeat(32),
    orgId: ORG,
    sandboxName: 'prod',
    datasetId: 'd'.repeat(24),
    status: 'loading',
    inputFormat: 'json',
    origin: 'ingest',
    recordCount: 0,
    failedRecordCount: 0,
    errors: [],
    createdAt: CREATED,
    updatedAt: UPDATED,
    ...overrides,
  };
}

/** What a client sent at import (POST /batches), as the repository hands it back. */
const IMPORTED: Partial<Batch> = {
  inputFormatOptions: { format: 'json', isMultiLineJson: true },
  tags: { source: ['crm'], owner: ['team-a', 'team-b'] },
  externalId: 'nightly-2024-07-01',
  replay: { predecessors: [PREDECESSOR], reason: 'replace' },
};

const ajv = new Ajv({ strict: false, allErrors: true });
const conforms = (schema: object, body: unknown) => {
  const validate = ajv.compile(schema);
  return validate(body) ? 'conforms' : validate.errors;
};

describe('presentImportBatch (POST /batches answer)', () => {
  it('shows what the client sent: tags, externalId, inputFormat as sent, replay', () => {
    expect(presentImportBatch(batch(IMPORTED))).toEqual({
      id: 'b'.repeat(32),
      imsOrg: ORG,
      sandboxId: 'prod',
      status: 'loading',
      created: CREATED.getTime(),
      updated: UPDATED.getTime(),
      relatedObjects: [{ type: 'dataSet', id: 'd'.repeat(24) }],
      inputFormat: { format: 'json', isMultiLineJson: true },
      version: '1.0.0',
      tags: { source: ['crm'], owner: ['team-a', 'team-b'] },
      externalId: 'nightly-2024-07-01',
      replay: { predecessors: [PREDECESSOR], reason: 'replace' },
    });
  });

  it('leaves out externalId and replay when none was sent; tags is {} and inputFormat {format}', () => {
    const body = presentImportBatch(batch());
    expect(body).not.toHaveProperty('externalId');
    expect(body).not.toHaveProperty('replay');
    expect(body).toMatchObject({ tags: {}, inputFormat: { format: 'json' } });
  });

  it('matches the documented 201 schema, with and without the optional fields', () => {
    expect(conforms(CREATED_BATCH_SCHEMA, presentImportBatch(batch(IMPORTED)))).toBe('conforms');
    expect(conforms(CREATED_BATCH_SCHEMA, presentImportBatch(batch()))).toBe('conforms');
  });
});

describe('presentBatch (Catalog batch)', () => {
  it('keeps the import fields and adds AEP counts: recordCount, failedRecordCount at the top, metrics.records*', () => {
    const body = presentBatch(batch({ ...IMPORTED, status: 'success', recordCount: 5, completedAt: UPDATED }));
    expect(body).toMatchObject({
      tags: IMPORTED.tags,
      externalId: IMPORTED.externalId,
      inputFormat: IMPORTED.inputFormatOptions,
      replay: IMPORTED.replay,
      recordCount: 5,
      failedRecordCount: 0,
      metrics: { recordsRead: 5, recordsWritten: 5, recordsFailed: 0 },
      errors: [],
      completed: UPDATED.getTime(),
    });
  });

  it('a failed batch wrote nothing: recordsWritten 0, its refused records and errors shown', () => {
    const errors = [{ code: 'INVALID_RECORD', description: 'not JSON', file: 'a.json', line: 2 }];
    const body = presentBatch(batch({ status: 'failed', failedRecordCount: 3, errors }));
    expect(body).toMatchObject({ failedRecordCount: 3, metrics: { recordsRead: 3, recordsWritten: 0, recordsFailed: 3 }, errors });
    expect(body).not.toHaveProperty('completed');
  });

  it("an export's batch: inputFormat {format} of its output, tagged with its job (over a client tag of the same name)", () => {
    const body = presentBatch(batch({ origin: 'export', inputFormat: 'parquet', exportJobId: 42, tags: { exportJobId: ['forged'], team: ['x'] } }));
    expect(body).toMatchObject({ inputFormat: { format: 'parquet' }, tags: { exportJobId: ['42'], team: ['x'] } });
  });

  it('matches the documented Catalog and action schemas', () => {
    for (const b of [
      batch(),
      batch({ ...IMPORTED, status: 'success', recordCount: 5, completedAt: UPDATED }),
      batch({ origin: 'export', inputFormat: 'parquet', exportJobId: 1 }),
    ]) {
      expect(conforms(BATCH_SCHEMA, presentBatch(b))).toBe('conforms');
      expect(conforms(ACTED_BATCH_SCHEMA, presentBatch(b))).toBe('conforms');
    }
  });

  it('the documented schemas refuse a field the presenter does not build', () => {
    expect(conforms(BATCH_SCHEMA, { ...presentBatch(batch()), size: 1 })).not.toBe('conforms');
    expect(conforms(BATCH_SCHEMA, { ...presentBatch(batch()), metrics: { recordsRead: 0, recordsWritten: 0, failedRecordCount: 0 } })).not.toBe('conforms');
  });
});
