import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import type { AppConfig } from '@sx/config';
import { ApiClientRepository, DatasetRepository } from '@sx/persistence';
import { createApiApp } from '../../apps/api/src/configure-app';
import { createClient } from '../../apps/cli/src/create-client.command';
import { JsonLogger } from '@sx/observability';

export const ORG_A = '1BD6382559DF0C130A49422D@AdobeOrg';
export const ORG_B = '2CE7493660EG1D241B5A533E@AdobeOrg';

export interface TestClient {
  clientId: string;
  clientSecret: string;
  orgId: string;
  sandboxes: string[];
  token: string;
  /** A profile dataset made for the client in each of its sandboxes. */
  datasets: Record<string, string>;
  /** The four AEP headers for one of the client's sandboxes. */
  headers(sandbox?: string): Record<string, string>;
  /** A job body whose TEST_DATASET destination becomes the client's dataset in that sandbox. */
  job(body: Record<string, unknown>, sandbox?: string): Record<string, unknown>;
}

/** Stands for "the calling client's profile dataset" in job bodies; see TestClient.job. */
export const TEST_DATASET = '$test-dataset';

/** The real API app (as main.ts builds it) on an ephemeral port. */
export class ApiHarness {
  private constructor(
    readonly app: INestApplication,
    readonly http: TestAgent,
  ) {}

  static async start(config: AppConfig): Promise<ApiHarness> {
    const app = await createApiApp(config, new JsonLogger('api', 'silent'));
    await app.init();
    return new ApiHarness(app, request(app.getHttpServer()));
  }

  /** A client made the way the CLI makes it, with a token from the token endpoint. */
  async client(orgId = ORG_A, sandboxes = ['prod']): Promise<TestClient> {
    const created = await createClient(this.app.get(ApiClientRepository), { org: orgId, sandboxes: sandboxes.join(',') });
    const res = await this.http
      .post('/ims/token/v3')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret })
      .expect(200);
    const token = res.body.access_token as string;
    const datasets: Record<string, string> = {};
    for (const sandboxName of sandboxes) {
      const d = await this.app.get(DatasetRepository).create({ orgId, sandboxName }, { name: 'test profiles', schemaId: 'https://ns.adobe.com/xdm/context/profile' });
      datasets[sandboxName] = d.id;
    }
    return {
      ...created,
      token,
      datasets,
      job: (body, sandbox = sandboxes[0]) => {
        const destination = body.destination as Record<string, unknown> | undefined;
        if (destination?.datasetId !== TEST_DATASET) return body;
        return { ...body, destination: { ...destination, datasetId: datasets[sandbox] } };
      },
      headers: (sandbox = sandboxes[0]) => ({
        Authorization: `Bearer ${token}`,
        'x-api-key': created.clientId,
        'x-gw-ims-org-id': orgId,
        'x-sandbox-name': sandbox,
      }),
    };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/**
 * The reference's POST example, with overrides merged at the top level; its destination is the
 * client's test dataset, and `evaluationInfo.segmentation` is false (true is refused until segment
 * evaluation exists).
 */
export function referenceJobBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fields: 'identities.id,personalEmail.address',
    mergePolicy: { id: 'timestampOrdered-none-mp', version: 1 },
    filter: {
      segments: [{ segmentId: '52c26d0d-45f2-47a2-ab30-ed06abc981ff', segmentNs: 'ups', status: ['realized'] }],
      segmentQualificationTime: { startTime: '2018-01-01T00:00:00Z', endTime: '2018-02-01T00:00:00Z' },
      fromIngestTimestamp: '2018-01-01T00:00:00Z',
      emptyProfiles: true,
    },
    additionalFields: {
      eventList: {
        fields: 'string',
        filter: { fromIngestTimestamp: '2018-01-01T00:00:00Z', toIngestTimestamp: '2020-01-01T00:00:00Z' },
      },
    },
    destination: { datasetId: TEST_DATASET, segmentPerBatch: false },
    schema: { name: '_xdm.context.profile' },
    evaluationInfo: { segmentation: false },
    ...overrides,
  };
}

/** The smallest valid body; a marker, when given, goes into `fields` to tell bodies apart. */
export function minimalJobBody(marker?: string): Record<string, unknown> {
  return { destination: { datasetId: TEST_DATASET }, schema: { name: '_xdm.context.profile' }, ...(marker ? { fields: marker } : {}) };
}
