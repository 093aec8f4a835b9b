import { loadConfig } from './app-config';

describe('storage configuration', () => {
  it('defaults to the local directory and ignores S3 variables there', () => {
    const c = loadConfig({ S3_FORCE_PATH_STYLE: 'true' });
    expect(c.STORAGE_DRIVER).toBe('local');
    expect(c.STORAGE_ROOT).toBe('./var/datasets');
    expect(loadConfig({ STORAGE_DRIVER: 'local', S3_ACCESS_KEY_ID: 'only-one' }).STORAGE_DRIVER).toBe('local');
  });

  it('reads a complete S3 configuration', () => {
    const c = loadConfig({
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'segment-export',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(c).toMatchObject({ STORAGE_DRIVER: 's3', S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'segment-export', S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: true });
    // AWS S3: no endpoint, default region, the SDK's default credentials.
    expect(loadConfig({ STORAGE_DRIVER: 's3', S3_BUCKET: 'b-1' })).toMatchObject({
      S3_ENDPOINT: undefined,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: false,
      S3_ACCESS_KEY_ID: undefined,
    });
  });

  it('lists every storage problem at once', () => {
    const err = (() => {
      try {
        loadConfig({ STORAGE_DRIVER: 's3', S3_ENDPOINT: 'minio:9000', S3_FORCE_PATH_STYLE: 'yes', S3_ACCESS_KEY_ID: 'key' });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(err).toMatch(/S3_ENDPOINT must be an http\(s\) URL/);
    expect(err).toMatch(/S3_FORCE_PATH_STYLE must be true or false/);
    expect(err).toMatch(/S3_BUCKET is required when STORAGE_DRIVER is s3/);
    expect(err).toMatch(/S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/);
  });

  it('refuses an unknown driver and a bad bucket name', () => {
    expect(() => loadConfig({ STORAGE_DRIVER: 'gcs' })).toThrow(/STORAGE_DRIVER must be local or s3/);
    expect(() => loadConfig({ STORAGE_DRIVER: 's3', S3_BUCKET: 'Bad_Bucket' })).toThrow(/S3_BUCKET must be a bucket name/);
  });
});
