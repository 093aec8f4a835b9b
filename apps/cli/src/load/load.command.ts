import type { AppConfig } from '@sx/config';
import type { ApiClientRepository } from '@sx/persistence';
import { UsageError } from '../args';

export interface LoadDeps {
  clients: ApiClientRepository;
  config: AppConfig;
}

/** `load DIR`: creates datasets and segments and ingests the files through the API. */
export async function loadCommand(_dir: string | undefined, _options: Record<string, string>, _deps: LoadDeps): Promise<Record<string, unknown>> {
  throw new UsageError('load is not built yet');
}
