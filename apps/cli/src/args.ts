/** `command [positional…] [--name value | --name=value | --flag]`. */
export function parseArgs(argv: string[]): { command?: string; positional: string[]; options: Record<string, string> } {
  const [command, ...rest] = argv;
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(rest[i]);
    if (!m) {
      if (rest[i].startsWith('-')) throw new UsageError(`Unexpected argument "${rest[i]}"`);
      positional.push(rest[i]);
    } else if (m[2] !== undefined) options[m[1]] = m[2];
    else if (rest[i + 1] !== undefined && !rest[i + 1].startsWith('--')) options[m[1]] = rest[++i];
    else options[m[1]] = 'true';
  }
  return { command, positional, options };
}

export class UsageError extends Error {}
