import { UsageError } from './args';

/** `auto` (a bar when stderr is a terminal), `always` or `never`: the --progress flag. */
export type ProgressMode = 'auto' | 'always' | 'never';

export function progressMode(value: string | undefined): ProgressMode {
  const mode = value ?? 'auto';
  if (mode !== 'auto' && mode !== 'always' && mode !== 'never') throw new UsageError(`--progress must be auto, always or never, not "${mode}"`);
  return mode;
}

/**
 * One line of progress on stderr, redrawn in place (at most every `everyMs`), so stdout keeps only
 * the JSON result. Off when stderr is not a terminal, unless asked for (`always`: then each update
 * is a line of its own, which logs and tests can read).
 */
export class Progress {
  private last = 0;
  private shown = false;
  readonly enabled: boolean;
  private readonly inPlace: boolean;

  constructor(
    mode: ProgressMode = 'auto',
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 100,
  ) {
    this.inPlace = Boolean(stream.isTTY);
    this.enabled = mode === 'always' || (mode === 'auto' && this.inPlace);
  }

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    this.shown = true;
    // A line wider than the terminal would wrap, and `\r` would then redraw only its last row.
    const width = this.stream.columns;
    const shown = this.inPlace && width && text.length >= width ? `${text.slice(0, width - 2)}…` : text;
    this.stream.write(this.inPlace ? `\r${shown}\x1b[K` : `${shown}\n`);
  }

  /** The final state of the line; the next output starts on a new line. */
  done(text?: string): void {
    if (!this.enabled) return;
    if (text !== undefined) this.update(text, true);
    if (this.shown && this.inPlace) this.stream.write('\n');
    this.shown = false;
  }
}

/** `[########----------------]` for a fraction in [0, 1]; a moving marker when the total is unknown. */
export function bar(fraction: number | undefined, width = 24, tick = 0): string {
  if (fraction === undefined || !Number.isFinite(fraction)) {
    const at = tick % width;
    return `[${'-'.repeat(at)}#${'-'.repeat(width - at - 1)}]`;
  }
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export const count = (n: number) => n.toLocaleString('en-US');
