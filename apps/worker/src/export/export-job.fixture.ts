import type { ExportJob } from '@sx/domain';

/** Tenant of the unit specs' jobs. */
export const fixtureScope = { orgId: 'O', sandboxName: 'prod' };

/** A stored export job as the worker reads it, for unit specs; `over` sets what a case needs. */
export function exportJobFixture(over: Partial<ExportJob> = {}): ExportJob {
  return {
    id: 7,
    ...fixtureScope,
    clientId: 'c',
    status: 'NEW',
    profileInstanceId: 'ups',
    computeGatewayJobId: '',
    requestId: 'r',
    creationTime: new Date(0),
    updateTime: new Date(0),
    destination: { datasetId: 'd', segmentPerBatch: false },
    schema: { name: '_xdm.context.profile' },
    ...over,
  };
}
