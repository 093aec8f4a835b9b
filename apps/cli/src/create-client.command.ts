import { hashClientSecret, newClientCredentials } from '@sx/domain';
import { ApiClientRepository } from '@sx/persistence';
import { UsageError } from './args';

export interface CreatedClient {
  clientId: string;
  clientSecret: string;
  orgId: string;
  sandboxes: string[];
}

/** Creates an API client; the secret is shown once, here, and only its hash is stored. */
export async function createClient(clients: ApiClientRepository, options: Record<string, string>): Promise<CreatedClient> {
  const orgId = options.org;
  if (!orgId || orgId === 'true') throw new UsageError('--org <ORG_ID> is required');
  const sandboxes = (options.sandboxes ?? 'prod')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!sandboxes.length || sandboxes.some((s) => !/^[A-Za-z0-9_-]{1,128}$/.test(s))) {
    throw new UsageError('--sandboxes must be a comma-separated list of sandbox names');
  }
  const { clientId, clientSecret } = newClientCredentials();
  await clients.create({ clientId, secretHash: await hashClientSecret(clientSecret), orgId, sandboxes });
  return { clientId, clientSecret, orgId, sandboxes };
}
