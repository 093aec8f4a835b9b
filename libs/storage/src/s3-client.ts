import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '@sx/config';

/** The S3 client of the configuration (validated by loadConfig: bucket set, credentials paired). */
export function createS3Client(c: StorageConfig): S3Client {
  return new S3Client({
    region: c.S3_REGION,
    endpoint: c.S3_ENDPOINT,
    forcePathStyle: c.S3_FORCE_PATH_STYLE,
    credentials: c.S3_ACCESS_KEY_ID && c.S3_SECRET_ACCESS_KEY ? { accessKeyId: c.S3_ACCESS_KEY_ID, secretAccessKey: c.S3_SECRET_ACCESS_KEY } : undefined,
    // Checksums only where S3 requires them (DeleteObjects): S3-compatible stores (MinIO, older
    // releases, test servers) do not all accept the SDK's default CRC32 trailers on every upload.
    // Integrity is still end to end: every stored file's sha256 is computed while it is written.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Fails with a clear message when the bucket cannot be reached (missing, wrong endpoint or credentials). */
export async function checkBucket(client: S3Client, c: StorageConfig): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: c.S3_BUCKET }));
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    const why =
      status === 404 ? 'it does not exist' : status === 403 ? 'access denied (check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)' : `${err.name ?? 'error'}: ${err.message ?? ''}`;
    throw new Error(`S3_BUCKET ${c.S3_BUCKET} at ${c.S3_ENDPOINT ?? `AWS S3 (${c.S3_REGION})`} cannot be used: ${why}`, { cause: e });
  }
}
