// A small matrix runner for the benchmarks: nested dimensions (size, export kind, storage, ...),
// each with its values and an optional `enter(value, ctx)` that answers what its inner levels
// need (a session, a started server) and an optional `exit(scope)` that releases it, whatever
// happens inside. The leaf runs once per combination with every level's value and scope merged.
// A dimension is one more entry in the list; `list(env, fallback)` reads BENCH_* selections.

/** Values of a comma-separated BENCH_* variable (blank or unset: the fallback). */
export const list = (value, fallback) =>
  (value?.trim() ? value : fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export async function runMatrix(levels, leaf, ctx = {}) {
  const [level, ...inner] = levels;
  if (!level) return void (await leaf(ctx));
  const values = typeof level.values === 'function' ? await level.values(ctx) : level.values;
  for (const value of values) {
    const here = { ...ctx, [level.name]: value };
    const scope = level.enter ? await level.enter(value, here) : undefined;
    try {
      await runMatrix(inner, leaf, { ...here, ...scope });
    } finally {
      if (level.exit) await level.exit(scope, here);
    }
  }
}
