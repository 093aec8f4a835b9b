import { createHash } from 'node:crypto';
import type { ApiHarness, TestClient } from './api-harness';
import { DATA_ACCESS } from './profile-store';

/** Every file of a batch as a client downloads it through Data Access: its name, Content-Type and bytes, in listing order. */
export async function batchFiles(api: ApiHarness, client: TestClient, batchId: string): Promise<Array<{ name: string; type: string; bytes: Buffer }>> {
  const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
  const out: Array<{ name: string; type: string; bytes: Buffer }> = [];
  for (const f of files.body.data) {
    const listing = await api.http.get(f._links.self.href).set(client.headers()).expect(200);
    const res = await api.http
      .get(listing.body.data[0]._links.self.href)
      .set(client.headers())
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    out.push({ name: listing.body.data[0].name as string, type: res.headers['content-type'], bytes: res.body as Buffer });
  }
  return out;
}

/** The JSON Lines rows of a batch, and the sha256 of them sorted: equal for two runs that exported the same profiles. */
export async function sortedRowsDigest(api: ApiHarness, client: TestClient, batchId: string): Promise<{ sha: string; rows: number; lines: string[]; names: string[] }> {
  const files = await batchFiles(api, client, batchId);
  const lines = files.flatMap((f) => f.bytes.toString().split('\n').filter(Boolean));
  const sha = createHash('sha256')
    .update([...lines].sort().join('\n'))
    .digest('hex');
  return { sha, rows: lines.length, lines, names: files.map((f) => f.name) };
}
