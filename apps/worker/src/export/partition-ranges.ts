import { MAX_EXPORT_PARTITIONS } from '@sx/domain';
import type { PartitionRange } from '@sx/persistence';

/**
 * How many partitions a job gets: what it asks for; else one per `perPartition` profiles of its
 * sandbox (0: never split unasked), at most MAX_EXPORT_PARTITIONS.
 */
export function partitionsWanted(requested: number | undefined, profiles: number, perPartition: number): number {
  if (requested !== undefined) return requested;
  if (perPartition <= 0) return 1;
  return Math.max(1, Math.min(MAX_EXPORT_PARTITIONS, Math.ceil(profiles / perPartition)));
}

/**
 * The ranges between split keys (distinct, ascending): [-inf, k1), [k1, k2), …, [kn, +inf). Every
 * key falls in exactly one; no split key, one range of everything.
 */
export function rangesBetween(splitKeys: readonly string[]): PartitionRange[] {
  const bounds: Array<string | undefined> = [undefined, ...splitKeys, undefined];
  return bounds.slice(0, -1).map((keyFrom, partition) => ({ partition, keyFrom, keyTo: bounds[partition + 1] }));
}
