import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Preview, decodePreviewId, encodePreviewId } from '@sx/domain';
import { fieldProblems } from '../common/validation';
import { CreatePreviewDto } from './dto/create-preview.dto';
import { estimateOf, presentCreatedPreview, presentEstimate, presentPreviewPage } from './preview.presenter';

const ID = '4afe34ae-8c98-4513-8a1d-67ccaa54bc05';
const preview = (over: Partial<Preview> = {}): Preview => ({
  id: ID,
  orgId: 'O@AdobeOrg',
  sandboxName: 'prod',
  expression: 'a = 1',
  predicateModel: '_xdm.context.profile',
  graphType: 'none',
  mergePolicyId: 'timestampOrdered-none-mp',
  state: 'RESULT_READY',
  attempts: 1,
  totalRows: 10,
  profilesRead: 10,
  profilesMatched: 4,
  namespaceDistribution: { Email: 3, ECID: 2 },
  createdAt: new Date(0),
  expiresAt: new Date(1),
  ...over,
});

function problems(body: object) {
  return fieldProblems(validateSync(plainToInstance(CreatePreviewDto, body), { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

describe('previewId', () => {
  it('encodes the query id and decodes it back; anything else is null', () => {
    const id = encodePreviewId(ID);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePreviewId(id)).toBe(ID);
    expect(decodePreviewId('not a preview')).toBeNull();
    expect(decodePreviewId(Buffer.from(`0:${ID}:1`).toString('base64url'))).toBeNull();
    expect(decodePreviewId(Buffer.from('0:app-x:y:0').toString('base64url'))).toBeNull();
  });
});

describe('CreatePreviewDto', () => {
  it("accepts AEP's body, mergeStrategy included (ignored)", () => {
    expect(problems({ predicateExpression: 'a = 1', predicateType: 'pql/text', predicateModel: '_xdm.context.profile', graphType: 'pdg', mergeStrategy: { x: 1 } })).toEqual([]);
    expect(problems({ predicateExpression: 'a = 1', predicateType: 'pql/text' })).toEqual([]);
  });
  it('names each wrong field', () => {
    expect(
      problems({})
        .map((p) => p.path)
        .sort(),
    ).toEqual(['predicateExpression', 'predicateType']);
    expect(
      problems({ predicateExpression: 1, predicateType: 'pql/json', predicateModel: 'x', graphType: 'all', mergePolicyId: '' })
        .map((p) => p.path)
        .sort(),
    ).toEqual(['graphType', 'mergePolicyId', 'predicateExpression', 'predicateModel', 'predicateType']);
  });
});

describe('preview presenters', () => {
  it("POST: AEP's 201 body in its key order", () => {
    const body = presentCreatedPreview(preview({ state: 'NEW' }));
    expect(body).toEqual({ state: 'NEW', previewQueryId: ID, previewQueryStatus: 'NEW', previewId: encodePreviewId(ID), previewExecutionId: 0 });
  });

  it('estimate: exact when finished, namespaces sorted', () => {
    const body = presentEstimate('/b', preview());
    expect(body).toMatchObject({
      estimatedSize: 4,
      numRowsToRead: 10,
      profilesReadSoFar: 10,
      profilesMatchedSoFar: 4,
      totalRows: 10,
      standardError: 0,
      confidenceInterval: '95%',
      state: 'RESULT_READY',
    });
    expect(body.estimatedNamespaceDistribution).toEqual([
      { namespaceId: 'ECID', profilesMatchedSoFar: 2 },
      { namespaceId: 'Email', profilesMatchedSoFar: 3 },
    ]);
    expect(body.error).toEqual({ description: '', traceback: '' });
    expect(presentEstimate('/b', preview({ state: 'FAILED', error: 'boom' })).error).toEqual({ description: 'boom', traceback: '' });
  });

  it('estimate while running: the proportion so far scaled to the rows to read, with its standard error', () => {
    // 25 of 100 read match, of 1000: 250, SE = 1000 * sqrt(.25 * .75 / 100 * (900 / 999)) = 41.1
    expect(estimateOf({ state: 'RUNNING', totalRows: 1000, profilesRead: 100, profilesMatched: 25 })).toEqual({ estimatedSize: 250, standardError: 41 });
    expect(estimateOf({ state: 'RUNNING', totalRows: 1000, profilesRead: 0, profilesMatched: 0 })).toEqual({ estimatedSize: 0, standardError: 0 });
    expect(estimateOf({ state: 'RUNNING', totalRows: 10, profilesRead: 10, profilesMatched: 3 })).toEqual({ estimatedSize: 3, standardError: 0 });
  });

  it('page: one object per match, links to the next and previous pages', () => {
    const body = presentPreviewPage(
      '/b',
      preview({ profilesMatched: 3 }),
      [
        { entityId: 'Email:a', identities: ['ECID:1'] },
        { entityId: 'Email:b', identities: [] },
      ],
      0,
      2,
    );
    expect(body.results).toEqual([
      { 'Email:a': { _href: '/b/models/profile/Email%3Aa', endCustomerIds: { 'ECID:1': { _href: '/b/models/profile/ECID%3A1' } } } },
      { 'Email:b': { _href: '/b/models/profile/Email%3Ab', endCustomerIds: {} } },
    ]);
    const self = `/b/preview/${encodePreviewId(ID)}`;
    expect(body.links).toEqual({ _self: `${self}?offset=0&limit=2`, next: `${self}?offset=2&limit=2`, prev: '' });
    expect(presentPreviewPage('/b', preview({ profilesMatched: 2 }), [], 2, 2).links).toEqual({ _self: `${self}?offset=2&limit=2`, next: '', prev: `${self}?offset=0&limit=2` });
  });
});
