// SQL text of the identity graph (`pdg`) an export computes before it reads by component.

/** The scratch tables in which an identity-graph (`pdg`) read labels fragments and identities with their component. */
export interface GraphTables {
  fragmentIdentities: string;
  fragmentLabels: string;
  identityLabels: string;
  /** The (fragment, identity) pairs of identities that two or more fragments share. */
  links: string;
  /** The fragments whose label changed in the last round, and the next round's (swapped each round). */
  changed: [string, string];
}

/** The scratch table names for one read; `suffix` keeps concurrent reads apart. */
export function graphTables(suffix: string): GraphTables {
  const t = (name: string) => `export_graph_${name}_${suffix}`;
  return { fragmentIdentities: t('fi'), fragmentLabels: t('fl'), identityLabels: t('il'), links: t('ln'), changed: [t('ca'), t('cb')] };
}

export const allGraphTables = (g: GraphTables) => [g.fragmentIdentities, g.fragmentLabels, g.identityLabels, g.links, ...g.changed];

/**
 * Connected components of the identity graph (fragments linked by any shared identity), by label
 * propagation: every fragment ends labelled with the smallest identity (in byte order) of its
 * component. `setup` labels each fragment with its own smallest identity and keeps, as `links`,
 * only the identities two or more fragments share: the others cannot carry a label anywhere.
 * `round` (repeated until it inserts no row) is semi-naive: it looks only at the identities of
 * fragments whose label changed in the last round (at first, every linked fragment), lowers the
 * labels of the fragments sharing them, and records those as the next round's changed fragments.
 * `round(r)` reads `changed[r % 2]` and fills `changed[(r + 1) % 2]`, emptied just before.
 */
export function identityGraphSql(tenantOfF: string, g: GraphTables) {
  const [a, b] = g.changed;
  const setup = [
    `CREATE UNLOGGED TABLE ${g.fragmentIdentities} AS
       SELECT f.id AS fid, i COLLATE "C" AS ident FROM profile_fragments f, unnest(f.identities) AS i WHERE ${tenantOfF}`,
    `CREATE UNLOGGED TABLE ${g.fragmentLabels} AS SELECT fid, min(ident) AS label FROM ${g.fragmentIdentities} GROUP BY fid`,
    `CREATE UNIQUE INDEX ON ${g.fragmentLabels} (fid)`,
    `CREATE UNLOGGED TABLE ${g.links} AS
       SELECT fid, ident FROM ${g.fragmentIdentities} WHERE ident IN (SELECT ident FROM ${g.fragmentIdentities} GROUP BY ident HAVING count(*) > 1)`,
    `CREATE INDEX ON ${g.links} (ident)`,
    `CREATE INDEX ON ${g.links} (fid)`,
    `CREATE UNLOGGED TABLE ${a} (fid bigint PRIMARY KEY)`,
    `CREATE UNLOGGED TABLE ${b} (fid bigint PRIMARY KEY)`,
    `INSERT INTO ${a} SELECT DISTINCT fid FROM ${g.links}`,
    `ANALYZE ${g.fragmentLabels}, ${g.links}, ${a}`,
  ];
  const round = (r: number) => {
    const [from, into] = r % 2 === 0 ? [a, b] : [b, a];
    return [
      `TRUNCATE ${into}`,
      `WITH touched AS (SELECT DISTINCT l.ident FROM ${g.links} l JOIN ${from} c USING (fid)),
            ident_label AS (SELECT l.ident, min(fl.label) AS label FROM touched t JOIN ${g.links} l USING (ident) JOIN ${g.fragmentLabels} fl USING (fid) GROUP BY l.ident),
            fragment_label AS (SELECT l.fid, min(il.label) AS label FROM ident_label il JOIN ${g.links} l USING (ident) GROUP BY l.fid),
            lowered AS (UPDATE ${g.fragmentLabels} fl SET label = n.label FROM fragment_label n WHERE n.fid = fl.fid AND n.label < fl.label RETURNING fl.fid)
       INSERT INTO ${into} SELECT fid FROM lowered`,
    ];
  };
  /** Every identity's component (events and memberships find theirs through it); only reads that need it build it. */
  const identityLabels = [
    `CREATE UNLOGGED TABLE ${g.identityLabels} (ident text COLLATE "C" PRIMARY KEY, label text COLLATE "C")`,
    `INSERT INTO ${g.identityLabels} SELECT fi.ident, min(fl.label) FROM ${g.fragmentIdentities} fi JOIN ${g.fragmentLabels} fl USING (fid) GROUP BY fi.ident`,
    `ANALYZE ${g.identityLabels}`,
  ];
  // The read streams the fragments in label order through this index (one lookup per fragment)
  // instead of sorting them all, records and all, on disk before the first row; built once the
  // rounds, which update the labels, are over.
  const finish = [`CREATE INDEX ON ${g.fragmentLabels} (label, fid)`, `ANALYZE ${g.fragmentLabels}`];
  return { setup, round, identityLabels, finish };
}
