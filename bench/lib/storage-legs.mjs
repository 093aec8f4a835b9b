// The storage backends an export bench run writes to, one started per name: `local` (files under
// a directory, STORAGE_DRIVER=local) and `s3` (an s3rver child process on 127.0.0.1 storing in a
// temp directory, started the way the e2e tests start it: test/support/s3-server.cjs). Each answers
// the env its workers get, how many objects (and bytes) a batch left and how to remove them.
// s3rver is a Node test server on the same cores as everything else: an s3 leg measures our S3
// code path (multipart uploads, server-side copy on promotion) and the protocol's overhead, not AWS.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../lib.mjs';

export const STORAGES = ['local', 's3'];
export const STORAGE_NOTES = {
  local: 'local disk (STORAGE_DRIVER=local)',
  s3: 's3rver on 127.0.0.1 (a Node S3 test server on the same cores): measures our S3 code path and the protocol overhead, not AWS',
};

export async function startStorage(name, { localRoot }) {
  if (name === 'local') return localStorage(localRoot);
  if (name === 's3') return s3rverStorage();
  throw new Error(`BENCH_STORAGE: unknown storage ${name} (${STORAGES.join(' or ')})`);
}

function localStorage(root) {
  const dir = (prefix) => join(root, ...prefix.split('/'));
  return {
    env: { STORAGE_DRIVER: 'local', STORAGE_ROOT: root },
    async objects(prefix) {
      const files = readdirSync(dir(prefix), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return { count: files.length, bytes: files.reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0) };
    },
    remove: async (prefix) => rmSync(dir(prefix), { recursive: true, force: true }),
    close: async () => undefined,
  };
}

async function s3rverStorage(bucket = 'sx-bench') {
  const require = createRequire(`${ROOT}package.json`);
  const { createS3Client, S3DatasetStorage } = require(`${ROOT}dist/libs/storage/src/index.js`);
  const { loadConfig } = require(`${ROOT}dist/libs/config/src/index.js`);
  const directory = mkdtempSync(join(tmpdir(), 'sx-bench-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(ROOT, 'test/support/s3-server.cjs'), directory, bucket], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 10 s: ${stderr}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line).port);
    });
  });
  child.removeAllListeners('exit');
  // s3rver checks signatures against its one built-in key pair.
  const env = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: bucket,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
  const client = createS3Client(loadConfig(env));
  const storage = new S3DatasetStorage(client, bucket);
  return {
    env,
    async objects(prefix) {
      let [count, bytes, token] = [0, 0, undefined];
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
        for (const o of page.Contents ?? []) [count, bytes] = [count + 1, bytes + o.Size];
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return { count, bytes };
    },
    remove: (prefix) => storage.removePrefix(prefix),
    async close() {
      client.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
