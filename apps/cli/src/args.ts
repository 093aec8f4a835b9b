/** `--name value` pairs after the command; `--flag` alone is "true". */
export function parseArgs(argv: string[]): { command?: string; options: Record<string, string> } {
  const [command, ...rest] = argv;
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(rest[i]);
    if (!m) throw new UsageError(`Unexpected argument "${rest[i]}"`);
    if (m[2] !== undefined) options[m[1]] = m[2];
    else if (rest[i + 1] !== undefined && !rest[i + 1].startsWith('--')) options[m[1]] = rest[++i];
    else options[m[1]] = 'true';
  }
  return { command, options };
}

export class UsageError extends Error {}
