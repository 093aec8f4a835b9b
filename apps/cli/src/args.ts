import { parseArgs as parseNodeArgs } from 'node:util';

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** `string` takes a value (`--name value` or `--name=value`); `boolean` takes none. */
  type: 'string' | 'boolean';
  /** One line for --help; `value` names the value (`--out <DIR>`). */
  help: string;
  value?: string;
  /** May be given more than once (collected in `lists`). */
  multiple?: boolean;
}

export interface CommandSpec {
  /** `export create`, `load`, …: what the user types. */
  name: string;
  /** `<DIR>`, `<jobId|batchId>`: the positional arguments, for the usage line. */
  args?: string;
  summary: string;
  /** One line for the list of commands (default: the summary). */
  short?: string;
  /** Paragraphs after the options in --help. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments it takes (at most); default 0. */
  maxPositionals?: number;
}

export interface ParsedCommand {
  positional: string[];
  /** Every option given once: its value, `'true'` for a boolean flag. */
  options: Record<string, string>;
  /** Options given with `multiple`: every value, in order. */
  lists: Record<string, string[]>;
}

/** `--help` is every command's; it is not listed in each spec. */
const HELP: OptionSpec = { type: 'boolean', help: 'show this help' };

/**
 * Parses one command's arguments with Node's own parser (`node:util` parseArgs, strict): unknown
 * options, a missing value and extra positionals are usage errors that name the option.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options = Object.fromEntries(Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false }]));
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '.')}\n\n${commandHelp(spec)}`);
  }
  const result: ParsedCommand = { positional: parsed.positionals, options: {}, lists: {} };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (Array.isArray(value)) result.lists[name] = value.map(String);
    else if (value !== undefined) result.options[name] = String(value);
  }
  if (result.options.help) return result;
  if (parsed.positionals.length > (spec.maxPositionals ?? 0)) {
    throw new UsageError(`Unexpected argument "${parsed.positionals[spec.maxPositionals ?? 0]}" for ${spec.name}\n\n${commandHelp(spec)}`);
  }
  return result;
}

/** The --help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: npm run -s cli -- ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', spec.summary, '', 'options:'];
  const all = { ...spec.options, help: HELP };
  const left = Object.entries(all).map(([name, o]) => `  --${name}${o.type === 'string' ? ` <${o.value ?? 'VALUE'}>` : ''}${o.multiple ? ' …' : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  Object.values(all).forEach((o, i) => lines.push(left[i].padEnd(width) + o.help));
  if (spec.details) lines.push('', spec.details);
  return lines.join('\n');
}

/** `  name <args>   short`: a line of a list of commands. */
export function commandLine(spec: CommandSpec): string {
  return `  ${`${spec.name}${spec.args ? ` ${spec.args}` : ''}`.padEnd(34)}${spec.short ?? spec.summary}`;
}

/** A required string option, or a usage error naming it. */
export function required(spec: CommandSpec, options: Record<string, string>, name: string): string {
  const value = options[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} <${spec.options[name]?.value ?? 'VALUE'}> is required\n\n${commandHelp(spec)}`);
  return value;
}
