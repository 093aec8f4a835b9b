import { UsageError } from '../args';

/** `generate --profiles N --seed S --out DIR`: deterministic sample data. */
export async function generateCommand(_options: Record<string, string>): Promise<Record<string, unknown>> {
  throw new UsageError('generate is not built yet');
}
