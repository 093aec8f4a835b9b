import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandSpec, UsageError, commandHelp, parseCommand } from './args';
import { describeAnswer } from './api/api-caller';
import { connectionOf } from './api/connection';
import { planPlainDirectory } from './load/load.command';
import { Progress, bar, humanBytes } from './progress';
import { ended } from './export/export.commands';

const SPEC: CommandSpec = {
  name: 'thing do',
  args: '<ID>',
  maxPositionals: 1,
  summary: 'Does the thing.',
  options: {
    out: { type: 'string', value: 'DIR', help: 'where' },
    wait: { type: 'boolean', help: 'wait' },
    tag: { type: 'string', value: 'T', help: 'a tag', multiple: true },
  },
};

describe('parseCommand (node:util parseArgs, strict)', () => {
  it('takes --name value, --name=value, flags, repeated options and positionals', () => {
    expect(parseCommand(SPEC, ['7', '--out', 'd', '--wait', '--tag=a', '--tag', 'b'])).toEqual({
      positional: ['7'],
      options: { out: 'd', wait: 'true' },
      lists: { tag: ['a', 'b'] },
    });
  });
  it('refuses unknown options, a missing value, a value for a flag and extra positionals, with the usage', () => {
    expect(() => parseCommand(SPEC, ['--nope'])).toThrow(UsageError);
    expect(() => parseCommand(SPEC, ['--nope'])).toThrow(/Unknown option '--nope'[\s\S]*usage: npm run -s cli -- thing do <ID>/);
    expect(() => parseCommand(SPEC, ['--out'])).toThrow(/--out/);
    expect(() => parseCommand(SPEC, ['--wait=yes'])).toThrow(/--wait/);
    expect(() => parseCommand(SPEC, ['1', '2'])).toThrow(/Unexpected argument "2" for thing do/);
  });
  it('--help wins over missing arguments; the help lists every option and --help', () => {
    expect(parseCommand(SPEC, ['1', '2', '--help']).options.help).toBe('true');
    const help = commandHelp(SPEC);
    expect(help).toMatch(/--out <DIR> +where/);
    expect(help).toMatch(/--tag <T> … +a tag/);
    expect(help).toMatch(/--help +show this help/);
  });
});

describe('describeAnswer: what the API said, whatever its shape', () => {
  it('the problem shape: status, title, detail, each field problem, the request id', () => {
    const text = describeAnswer(400, {
      type: 'x',
      status: 400,
      title: 'Bad Request',
      detail: 'The request is not valid; see errors.',
      requestId: 'r1',
      errors: [{ path: 'destination.datasetId', message: 'is required' }],
    });
    expect(text).toBe('HTTP 400 Bad Request: The request is not valid; see errors.\n  - destination.datasetId: is required\n  (requestId r1)');
  });
  it('the gateway shape, OAuth errors, text and nothing', () => {
    expect(describeAnswer(401, { error_code: '401013', message: 'Oauth token is not valid' })).toBe('HTTP 401: Oauth token is not valid (401013)');
    expect(describeAnswer(401, { error: 'invalid_client', error_description: 'Unknown client' })).toBe('HTTP 401: invalid_client: Unknown client');
    expect(describeAnswer(502, '<html>Bad gateway</html>')).toBe('HTTP 502: <html>Bad gateway</html>');
    expect(describeAnswer(503, undefined)).toBe('HTTP 503');
    expect(describeAnswer(500, 'x'.repeat(3000))).toHaveLength('HTTP 500: '.length + 2001);
  });
});

describe('connectionOf: flags, else SX_* variables, else defaults', () => {
  it('flags win over the environment; defaults fill the rest', () => {
    const env = { SX_API_URL: 'http://env:1/', SX_CLIENT_ID: 'envid', SX_CLIENT_SECRET: 'envsecret', SX_SANDBOX: 'dev' };
    expect(connectionOf({ 'client-id': 'flagid' }, env)).toEqual({
      api: 'http://env:1',
      clientId: 'flagid',
      clientSecret: 'envsecret',
      orgId: '1BD6382559DF0C130A49422D@AdobeOrg',
      sandbox: 'dev',
      basePath: '/data/core/ups',
    });
    expect(connectionOf({}, {}).api).toBe('http://127.0.0.1:3000');
  });
  it('refuses a URL that is not http(s)', () => {
    expect(() => connectionOf({ api: 'localhost:3000' }, {})).toThrow(UsageError);
    expect(() => connectionOf({ api: 'ftp://x' }, {})).toThrow(/http:\/\/ or https:\/\//);
  });
});

describe('planPlainDirectory: one dataset per file name', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sx-plan-'));
    for (const f of ['crm.jsonl', 'crm.json.gz', 'events.ndjson', 'notes.txt', 'web.JSON']) await writeFile(join(dir, f), '');
    await mkdir(join(dir, 'sub.jsonl'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('groups files by name without extensions, ignores other files and directories, schema from --schema-of, else --schema, else profile', async () => {
    const plan = await planPlainDirectory(dir, { schema: 'profile' }, { 'schema-of': ['events=event'] });
    expect(plan.map((p) => [p.name, p.files, p.schema])).toEqual([
      ['crm', ['crm.json.gz', 'crm.jsonl'], 'https://ns.adobe.com/xdm/context/profile'],
      ['events', ['events.ndjson'], 'https://ns.adobe.com/xdm/context/experienceevent'],
      ['web', ['web.JSON'], 'https://ns.adobe.com/xdm/context/profile'],
    ]);
    expect((await planPlainDirectory(dir, {}, {})).every((p) => !p.schemaAsked)).toBe(true);
  });
  it('refuses --schema-of for a name no file makes, and an unknown schema kind', async () => {
    await expect(planPlainDirectory(dir, {}, { 'schema-of': ['nope=event'] })).rejects.toThrow(/no file .* makes a dataset named "nope" \(datasets: crm, events, web\)/);
    await expect(planPlainDirectory(dir, { schema: 'table' }, {})).rejects.toThrow(UsageError);
  });
});

describe('progress text', () => {
  it('bar and bytes', () => {
    expect(bar(0.5, 10)).toBe('[#####-----]');
    expect(bar(2, 4)).toBe('[####]');
    expect(bar(undefined, 4, 1)).toBe('[-#--]');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(1536)).toBe('1.5 KiB');
    expect(humanBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});

describe('ended: a job end state as an exit code', () => {
  it('SUCCEEDED 0, FAILED 3 with its errors, CANCELLED 4', () => {
    expect(ended({ id: 1, status: 'SUCCEEDED' })).toMatchObject({ code: 0 });
    expect(ended({ id: 2, status: 'FAILED', errors: [{ code: '0100000003', msg: 'Error in Export Job' }] })).toMatchObject({
      code: 3,
      message: 'job 2 ended FAILED: 0100000003 Error in Export Job',
    });
    expect(ended({ id: 3, status: 'CANCELLED' })).toMatchObject({ code: 4, message: 'job 3 ended CANCELLED' });
  });
});

describe('Progress', () => {
  const sink = (isTTY: boolean, columns?: number) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  };
  it('auto: nothing when stderr is not a terminal; in place (\\r, cut to the width) on one; always: a line per update', () => {
    const pipe = sink(false);
    new Progress('auto', pipe.stream, 0).update('x');
    expect(pipe.writes).toEqual([]);
    const tty = sink(true, 10);
    const p = new Progress('auto', tty.stream, 0);
    p.update('abc');
    p.update('0123456789abc');
    p.done();
    expect(tty.writes).toEqual(['\rabc\x1b[K', '\r01234567…\x1b[K', '\n']);
    const logged = sink(false);
    const a = new Progress('always', logged.stream, 0);
    a.update('one');
    a.done('two');
    expect(logged.writes).toEqual(['one\n', 'two\n']);
  });
});
