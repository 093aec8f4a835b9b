import { ValidationFailed } from '@sx/domain';
import { parseQueryBoolean } from '../common/query-boolean';

/**
 * Whether POST /export/jobs asks for a dry run: `?dryRun=true|false` (any case) or the body's
 * `dryRun`. Both may be given; when they disagree the request is refused rather than one
 * silently winning (a client that sends both means one of them, and we cannot tell which).
 */
export function dryRunOf(query: unknown, body: boolean | undefined): boolean {
  let fromQuery: boolean | undefined;
  if (query !== undefined) {
    fromQuery = parseQueryBoolean(query);
    if (fromQuery === undefined) throw new ValidationFailed([{ path: 'dryRun', message: 'must be true or false' }]);
  }
  if (fromQuery !== undefined && body !== undefined && fromQuery !== body) {
    throw new ValidationFailed([{ path: 'dryRun', message: `the query's dryRun=${fromQuery} disagrees with the body's dryRun: ${body}; give one, or the same in both` }]);
  }
  return fromQuery ?? body ?? false;
}
