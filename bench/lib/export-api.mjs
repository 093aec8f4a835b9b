// The export bench's REST client: a token for one sandbox, calls that throw on an error status,
// and one export job from POST to its end (wall time as the client sees it, polled every 100 ms).

// A keep-alive socket the API closed while idle (during a long load) fails the next request
// sent on it ("other side closed"): such a request is sent again.
const fetch = async (url, init) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await globalThis.fetch(url, init);
    } catch (e) {
      if (attempt === 3 || e?.cause?.code !== 'UND_ERR_SOCKET') throw e;
    }
  }
};

/** `call(method, path, body)` as a new client of `sandbox`. */
export async function apiSession({ port, org, sandbox, cli, env }) {
  const base = `http://127.0.0.1:${port}`;
  const client = JSON.parse(cli(['create-client', '--org', org, '--sandboxes', sandbox], env));
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
  const token = (await (await fetch(`${base}/ims/token/v3`, { method: 'POST', body: form })).json()).access_token;
  const headers = { Authorization: `Bearer ${token}`, 'x-api-key': client.clientId, 'x-gw-ims-org-id': org, 'x-sandbox-name': sandbox, 'Content-Type': 'application/json' };
  return async (method, path, body) => {
    const r = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
}

const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Runs one export job to SUCCEEDED (else throws): the job and the seconds from POST to SUCCEEDED. */
export async function runExport(call, body, timeoutMs = 3_600_000) {
  const t0 = Date.now();
  const created = await call('POST', '/data/core/ups/export/jobs', { schema: { name: '_xdm.context.profile' }, ...body });
  let job;
  do {
    await new Promise((r) => setTimeout(r, 100));
    job = await call('GET', `/data/core/ups/export/jobs/${created.id}`);
  } while (!ENDED.includes(job.status) && Date.now() - t0 < timeoutMs);
  const wall = (Date.now() - t0) / 1000;
  if (job.status !== 'SUCCEEDED') throw new Error(`export ${created.id} ended ${job.status}: ${JSON.stringify(job.errors)}`);
  return { job, wall };
}
