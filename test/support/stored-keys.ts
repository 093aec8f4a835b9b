import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Every file under `prefix/` of a local storage root, as storage keys (temporary files included), sorted. */
export async function localKeysUnder(root: string, prefix: string): Promise<string[]> {
  const walk = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(entries.map(async (e) => (e.isDirectory() ? walk(join(dir, e.name)) : [relative(root, join(dir, e.name)).split(sep).join('/')])));
    return nested.flat();
  };
  return (await walk(join(root, ...prefix.split('/')))).sort();
}
