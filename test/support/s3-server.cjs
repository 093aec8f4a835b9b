// A real S3-protocol server for tests: s3rver on 127.0.0.1, a free port, one bucket, files in the
// directory given. Started by test/support/s3-test-server.ts as `node --openssl-legacy-provider`:
// s3rver makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 only has in its
// legacy provider. Prints {"port":N} once listening; exits when its parent closes stdin or dies.
'use strict';
const S3rver = require('s3rver');

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
server.run().then(
  ({ port }) => process.stdout.write(`${JSON.stringify({ port })}\n`),
  (e) => {
    process.stderr.write(`s3rver did not start: ${e.stack}\n`);
    process.exit(1);
  },
);
const stop = () => process.exit(0);
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
