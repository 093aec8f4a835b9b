import { UsageError } from '../args';

/** `load DIR`: creates datasets and segments and ingests the files through the API. */
export async function loadCommand(_dir: string | undefined, _options: Record<string, string>): Promise<Record<string, unknown>> {
  throw new UsageError('load is not built yet');
}
