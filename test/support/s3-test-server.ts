import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '@sx/config';
import { createS3Client } from '@sx/storage';

/**
 * A real S3-protocol server (s3rver, pure npm) in a child process on the loopback address and a
 * free port, storing in a temp directory, with one bucket; path-style addressing (the bucket in
 * the path, as with MinIO). Tests and the apps they start reach it through the AWS SDK exactly as
 * they would reach S3. Never a mock of the SDK.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The variables that point the apps at this server (STORAGE_DRIVER=s3 ...). */
  env: Record<string, string>;
  client: S3Client;
  /** Every key under a prefix (`prefix/...`) of the bucket (or another one), sorted. */
  keys(prefix: string, bucket?: string): Promise<string[]>;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

async function spawnServer(directory: string, bucket: string) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(__dirname, 's3-server.cjs'), directory, bucket], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 10 s: ${stderr}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  child.removeAllListeners('exit');
  return { child, port };
}

export async function startS3TestServer(bucket = 'sx-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'sx-s3rver-'));
  const { child, port } = await spawnServer(directory, bucket);
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver checks signatures against its one built-in key pair.
  const env = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: endpoint,
    S3_BUCKET: bucket,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
  const client = createS3Client(loadConfig(env));
  return {
    endpoint,
    bucket,
    env,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async keys(prefix, inBucket = bucket) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: inBucket, Prefix: `${prefix}/`, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async close() {
      client.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
