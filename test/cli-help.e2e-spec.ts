import { runCli } from './support/cli-runner';

/** `--help` everywhere, from the built CLI: no database, no API needed. */
describe('CLI --help (child process)', () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const cli = (args: string[]) => runCli(args, env);

  const COMMANDS: Record<string, string[]> = {
    'create-client': ['--org', '--sandboxes'],
    generate: ['--profiles', '--seed', '--records', '--out', '--force'],
    load: ['--api', '--client-id', '--client-secret', '--org', '--sandbox', '--schema', '--schema-of', '--progress'],
    'export create': ['--api', '--client-id', '--client-secret', '--idempotency-key', '--wait', '--timeout', '--interval', '--progress'],
    'export get': ['--api', '--client-id', '--client-secret', '--org', '--sandbox'],
    'export list': ['--limit', '--status', '--offset', '--all'],
    'export wait': ['--timeout', '--interval', '--progress'],
    'export download': ['--out', '--progress'],
    'export cancel': ['--wait', '--delete', '--timeout'],
    verify: ['--dir', '--api', '--client-id', '--client-secret', '--org', '--sandbox'],
  };

  it('the CLI lists every command (--help, -h, help: exit 0; no command: the same on stdout, exit 2)', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: /);
      for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(`  ${name}`);
      expect(r.stdout).not.toContain('Unknown command');
    }
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^usage: /);
  });

  it.each(Object.entries(COMMANDS))('%s --help prints its usage and every option, exit 0', async (name, options) => {
    for (const args of [
      [...name.split(' '), '--help'],
      ['help', ...name.split(' ')],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: npm run -s cli -- ${name}`));
      for (const o of [...options, '--help']) expect(r.stdout).toMatch(new RegExp(`\\n  ${o}[ <]`));
    }
  });

  it('export --help lists the export commands; an unknown command or option is a usage error (exit 2) naming it', async () => {
    const group = await cli(['export', '--help']);
    expect(group.code).toBe(0);
    for (const sub of ['create', 'get', 'list', 'wait', 'download', 'cancel']) expect(group.stdout).toContain(`export ${sub}`);

    const unknown = await cli(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "nope"');
    const unknownSub = await cli(['export', 'frobnicate']);
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.stderr).toContain('Unknown export command "frobnicate"');
    const badOption = await cli(['export', 'get', '1', '--bogus']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--bogus'");
    expect(badOption.stderr).toContain('usage: npm run -s cli -- export get');
    const badId = await cli(['export', 'wait', 'abc']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('"abc" is not a job id');
    const noOut = await cli(['export', 'download', '12']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out <DIR> is required');
  });
});
