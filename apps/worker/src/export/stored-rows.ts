import type { EvaluatedOut, EventOut, FragmentOut } from '@sx/persistence';
import {
  ByteBuilder,
  type PlainObject,
  compileMembershipPicker,
  compileMembershipRestriction,
  compileMergeInputProjection,
  compileStoredEventList,
  compileStoredProjection,
  overlayMemberships,
  qualifiesAny,
  type MemberSpan,
  selectsTopLevel,
  spliceMembersInto,
  topLevelMember,
} from '@sx/export';
import { type ExportPlan, inEventWindow } from './export-plan';
import type { ExportRow } from './writers/row-writer';

type RowParts = NonNullable<ExportRow['profileParts']>;

/** The export's fast path: what a profile of one fragment needs written, from its stored bytes. */
export interface StoredRows {
  /** Whether the profile whose only fragment is `bytes` (with its stored identities, if any) can be written from its stored bytes. */
  fits(bytes: Buffer, identitiesJson: string | Buffer | undefined): boolean;
  /**
   * Its row (views valid until the next call: the sink copies them) and the indexes of the plan's
   * segments it qualified for; undefined when it qualifies for none. `identitiesJson` and
   * `membershipAt` are the fragment's (FragmentOut's, or FragmentBatch's as bytes).
   */
  row(
    bytes: Buffer,
    identitiesJson: string | Buffer,
    membershipAt: number | undefined,
    evaluated: readonly EvaluatedOut[],
    events: readonly EventOut[],
  ): { parts: RowParts; segments: readonly number[] } | undefined;
  /** A fragment's record as a merge needs it: with `fields`, only what merge and projection can use of it. */
  mergeInput(f: FragmentOut): PlainObject;
}

const EVERY_SEGMENT: readonly number[] = [];

/**
 * Compile once per job. The row is what merging the one fragment and projecting it would write:
 * the stored text with `identities` appended (with `fields`, the selection from its bytes), under a
 * segment filter its segmentMembership replaced by the exported segments' entries (the profile
 * qualifies by those entries, exactly as a merged one would), with eventList its events' bytes,
 * projected, last. Only the exported segments' entries of segmentMembership are ever parsed.
 */
export function compileStoredRows(plan: ExportPlan): StoredRows {
  const project = plan.fields ? compileStoredProjection(plan.fields) : undefined;
  const writeEvents = plan.eventList ? compileStoredEventList(plan.eventList.fields) : undefined;
  // A row's eventList replaces a record's own in its place: such (rare) profiles are merged.
  const fieldsHaveEventList = plan.fields !== undefined && selectsTopLevel(plan.fields, 'eventList');
  const pick = plan.segments ? compileMembershipPicker(plan.segments) : undefined;
  // An overlaid membership gets the exported segments' entries back in the order listed.
  const restrict = plan.segments ? compileMembershipRestriction(plan.segments) : undefined;
  // With `fields`, a profile that must be merged parses only what merge and projection can use
  // of each fragment (the selected paths, identityMap, the exported segments' entries).
  const cutForMerge = plan.fields ? compileMergeInputProjection(plan.fields, !plan.segments) : undefined;
  const out = new ByteBuilder();

  const eventListOf = (list: readonly EventOut[]) => {
    const kept = list
      .filter((e) => inEventWindow(plan, e.ingestTime))
      .map((e) => ({ timestamp: e.timestamp, ingestTime: e.ingestTime, jsonBytes: e.jsonBytes ?? Buffer.from(e.json) }));
    return (o: ByteBuilder) => writeEvents!(kept, o);
  };

  const identitiesToken = Buffer.from('"identities":');
  const membershipToken = Buffer.from(',"segmentMembership":');

  return {
    fits: (bytes, identitiesJson) => identitiesJson !== undefined && (!writeEvents || (plan.fields ? !fieldsHaveEventList : !topLevelMember(bytes, 'eventList'))),

    row(bytes, identitiesJson, membershipAt, evaluated, events) {
      // The bytes Postgres sent: nothing decoded or re-encoded.
      const append = writeEvents && eventListOf(events);
      let picked: { span?: MemberSpan; kept?: PlainObject } | undefined;
      let segments = EVERY_SEGMENT;
      if (plan.segments) {
        // Qualifying looks only at the exported segments' entries, so these few are all it needs.
        const { span, kept: own } = pick!(bytes, membershipAt);
        const kept = evaluated.length ? restrict!(overlayMemberships(own, evaluated)) : own;
        segments = qualifiesAny(kept, plan.segments, plan.qualifiedBetween);
        if (!segments.length) return undefined;
        picked = { span, kept };
      }
      if (project) return { parts: { head: project(bytes, { identitiesJson, picked, append }, out), tail: '' }, segments };
      const parts = spliceMembersInto(bytes, picked?.span, out, (o) => {
        o.bytes(identitiesToken);
        if (typeof identitiesJson === 'string') o.text(identitiesJson);
        else o.bytes(identitiesJson);
        if (picked?.kept) {
          o.bytes(membershipToken);
          o.text(JSON.stringify(picked.kept));
        }
        if (append) {
          o.byte(0x2c); // ,
          append(o);
        }
      });
      return { parts, segments };
    },

    mergeInput(f) {
      if (!cutForMerge) return JSON.parse(f.json) as PlainObject;
      const record = JSON.parse(cutForMerge(f.jsonBytes, out).toString('utf8')) as PlainObject;
      if (pick) {
        const { kept } = pick(f.jsonBytes, f.membershipAt);
        if (kept) record.segmentMembership = kept;
      }
      return record;
    },
  };
}
