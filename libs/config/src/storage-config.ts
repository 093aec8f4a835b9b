import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';

const blankToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const toBoolean = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : value === 'true' ? true : value === 'false' ? false : value);

/**
 * Where dataset files live: a local directory, or a bucket of an S3-compatible object store
 * (AWS S3, MinIO, ...). The variables of the other driver are ignored. AppConfig extends this
 * class, so these are read and validated with every other variable, once, at start.
 */
export abstract class StorageConfig {
  /** `local`: files under STORAGE_ROOT (one host, or a shared disk); `s3`: objects in S3_BUCKET. */
  @IsIn(['local', 's3'], { message: 'STORAGE_DRIVER must be local or s3' })
  STORAGE_DRIVER: 'local' | 's3' = 'local';

  /** Root directory of dataset files (uploaded and exported batches), laid out by org/sandbox/dataset/batch. */
  @IsString()
  @MinLength(1)
  STORAGE_ROOT = './var/datasets';

  /** The S3 API's URL (MinIO, another S3-compatible store); unset: AWS S3 of S3_REGION. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+\/?$/, { message: 'S3_ENDPOINT must be an http(s) URL without a path' })
  S3_ENDPOINT?: string;

  /** The bucket holding every dataset file (keys laid out as under STORAGE_ROOT). It must exist. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be a bucket name: 3-63 lower-case letters, digits, dots and hyphens' })
  S3_BUCKET?: string;

  @Matches(/^[a-z0-9-]+$/, { message: 'S3_REGION must be a region name such as us-east-1' })
  S3_REGION = 'us-east-1';

  /** Static credentials; both or neither (neither: the AWS SDK's default chain, e.g. an instance or task role). */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  /** `true`: http://endpoint/bucket/key (MinIO and most self-hosted stores); `false`: http://bucket.endpoint/key (AWS). */
  @Transform(toBoolean)
  @IsIn([true, false], { message: 'S3_FORCE_PATH_STYLE must be true or false' })
  S3_FORCE_PATH_STYLE = false;
}

/** The problems of one storage configuration that a single field's check cannot see. */
export function storageProblems(c: StorageConfig): string[] {
  if (c.STORAGE_DRIVER !== 's3') return [];
  const problems: string[] = [];
  if (!c.S3_BUCKET) problems.push('S3_BUCKET is required when STORAGE_DRIVER is s3');
  if (!c.S3_ACCESS_KEY_ID !== !c.S3_SECRET_ACCESS_KEY) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS default credentials');
  }
  return problems;
}
