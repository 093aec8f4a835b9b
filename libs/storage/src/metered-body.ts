import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { StorageLimitExceeded, StoredObject } from './dataset-storage';

/**
 * A pass-through that counts and hashes the bytes of a body on their way to storage, and fails
 * with StorageLimitExceeded as soon as they pass maxBytes (the rest is never read).
 */
export class MeteredBody extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly maxBytes?: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== undefined && this.bytes > this.maxBytes) return done(new StorageLimitExceeded(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Size and sha256 of everything that went through; call once, after the end. */
  stored(): StoredObject {
    return { sizeBytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
