import type { PreviewMatch } from '@sx/domain';
import type { PreviewProgress } from '@sx/persistence';
import type { PreviewProfile } from './preview-evaluation';

/**
 * What a preview run has counted: profiles read and matched, matches per identity namespace (a
 * profile counts once in each namespace it has an identity in, as AEP's
 * estimatedNamespaceDistribution does), and the matches not yet written. Memory: the pending
 * matches only, which the caller writes out every checkpoint.
 */
export class PreviewTally {
  profilesRead = 0;
  profilesMatched = 0;
  private readonly byNamespace: Record<string, number> = {};
  private pending: PreviewMatch[] = [];
  private written = 0;

  add(profile: PreviewProfile): void {
    this.profilesRead++;
    if (!profile.matched) return;
    this.profilesMatched++;
    const namespaces = new Set(profile.identities.map(namespaceOf));
    namespaces.add(namespaceOf(profile.key));
    for (const ns of namespaces) this.byNamespace[ns] = (this.byNamespace[ns] ?? 0) + 1;
    this.pending.push({ entityId: profile.key, identities: [...new Set(profile.identities)].filter((id) => id !== profile.key) });
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** The checkpoint to write; `committed()` once it is written. */
  progress(): PreviewProgress {
    return {
      profilesRead: this.profilesRead,
      profilesMatched: this.profilesMatched,
      namespaceDistribution: { ...this.byNamespace },
      matches: this.pending,
      firstOrdinal: this.written,
    };
  }

  committed(progress: PreviewProgress): void {
    this.written += progress.matches.length;
    this.pending = this.pending.slice(progress.matches.length);
  }
}

/** `ECID:123` → `ECID` (namespace codes have no colon; ids may). */
export function namespaceOf(identity: string): string {
  const i = identity.indexOf(':');
  return i < 0 ? identity : identity.slice(0, i);
}
