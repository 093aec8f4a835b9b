import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { ApiClientRepository } from '@sx/persistence';
import { CommandSpec, UsageError, commandHelp, commandLine, parseCommand } from './args';
import { connectionOf } from './api/connection';
import { CliModule } from './cli.module';
import { createClient } from './create-client.command';
import { CommandResult, EXPORT_SPECS, exportCommand } from './export/export.commands';
import { generateCommand } from './generate/generate.command';
import { LOAD_SPEC, loadCommand } from './load/load.command';
import { SEGMENT_JOB_SPECS, segmentJobCommand } from './segment-job/segment-job.commands';
import { VERIFY_SPEC, verifyCommand } from './verify/verify.command';

const CREATE_CLIENT_SPEC: CommandSpec = {
  name: 'create-client',
  summary: 'Creates an API client in the database (DATABASE_URL); prints it as JSON, its secret shown only here.',
  short: 'create an API client in the database; prints its id and secret',
  options: {
    org: { type: 'string', value: 'ORG_ID', help: "the client's org (required)" },
    sandboxes: { type: 'string', value: 'a,b', help: 'the sandboxes it may use (default prod)' },
  },
};

const GENERATE_SPEC: CommandSpec = {
  name: 'generate',
  summary: 'Writes deterministic sample profiles, events and segment definitions as JSON Lines, with a manifest.json that load reads.',
  short: 'write deterministic sample data (JSON Lines and manifest.json)',
  options: {
    profiles: { type: 'string', value: 'N', help: 'how many people (required)' },
    seed: { type: 'string', value: 'S', help: 'the seed (default 1): the same seed writes the same files' },
    records: { type: 'string', value: 'generator|small', help: 'record shape (default generator; small: about 400-byte records in one profile dataset)' },
    out: { type: 'string', value: 'DIR', help: 'the directory to write (required)' },
    force: { type: 'boolean', help: 'replace the files of an earlier generate in DIR' },
  },
};

const EXPORT_GROUP = Object.values(EXPORT_SPECS);
const SEGMENT_JOB_GROUP = Object.values(SEGMENT_JOB_SPECS);

const USAGE = `usage: npm run -s cli -- <command> [options]        (node dist/apps/cli/src/main.js <command> …)

commands:
${[CREATE_CLIENT_SPEC, GENERATE_SPEC, LOAD_SPEC, ...EXPORT_GROUP, VERIFY_SPEC, ...SEGMENT_JOB_GROUP].map(commandLine).join('\n')}

Every command takes --help. The API commands (load, export …) take --api, --client-id,
--client-secret, --org, --sandbox (or SX_API_URL, SX_CLIENT_ID, SX_CLIENT_SECRET, SX_ORG_ID,
SX_SANDBOX) and print JSON on stdout; progress and errors go to stderr.`;

const EXPORT_USAGE = `usage: npm run -s cli -- export <create|get|list|wait|download|cancel> [options]

${EXPORT_GROUP.map(commandLine).join('\n')}

Each takes --help.`;

const SEGMENT_JOB_USAGE = `usage: npm run -s cli -- segment-job <run|get|wait> [options]

${SEGMENT_JOB_GROUP.map(commandLine).join('\n')}

Each takes --help.`;

const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

/** Boots the database side (create-client, and load without a client) only when needed. */
async function withDatabase<T>(work: (clients: ApiClientRepository) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: new JsonLogger('cli', 'warn', (line) => process.stderr.write(line + '\n')),
  });
  try {
    return await work(app.get(ApiClientRepository));
  } finally {
    await app.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest.join(' ') : '';
    const spec = [CREATE_CLIENT_SPEC, GENERATE_SPEC, LOAD_SPEC, ...EXPORT_GROUP, VERIFY_SPEC, ...SEGMENT_JOB_GROUP].find((s) => s.name === topic);
    const group = topic === 'export' ? EXPORT_USAGE : topic === 'segment-job' ? SEGMENT_JOB_USAGE : USAGE;
    process.stdout.write((spec ? commandHelp(spec) : group) + '\n');
    return command ? 0 : 2;
  }
  switch (command) {
    case 'generate': {
      const { options } = parseCommand(GENERATE_SPEC, rest);
      if (options.help) return help(GENERATE_SPEC);
      out(await generateCommand(options));
      return 0;
    }
    case 'create-client': {
      const { options } = parseCommand(CREATE_CLIENT_SPEC, rest);
      if (options.help) return help(CREATE_CLIENT_SPEC);
      out(await withDatabase((clients) => createClient(clients, options)));
      return 0;
    }
    case 'load': {
      const { positional, options, lists } = parseCommand(LOAD_SPEC, rest);
      if (options.help) return help(LOAD_SPEC);
      const connection = connectionOf(options);
      const result = await loadCommand(positional[0], options, lists, connection, (orgId, sandbox) =>
        withDatabase((clients) => createClient(clients, { org: orgId, sandboxes: sandbox })),
      );
      out(result);
      return 0;
    }
    case 'export': {
      const [sub, ...args] = rest;
      if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
        process.stdout.write(EXPORT_USAGE + '\n');
        return sub ? 0 : 2;
      }
      const spec = EXPORT_SPECS[sub];
      if (!spec) throw new UsageError(`Unknown export command "${sub}"\n\n${EXPORT_USAGE}`);
      const { positional, options } = parseCommand(spec, args);
      if (options.help) return help(spec);
      return report(await exportCommand(sub, positional, options, connectionOf(options)));
    }
    case 'verify': {
      const { positional, options } = parseCommand(VERIFY_SPEC, rest);
      if (options.help) return help(VERIFY_SPEC);
      return report(await verifyCommand(positional, options, connectionOf(options)));
    }
    case 'segment-job': {
      const [sub, ...args] = rest;
      if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
        process.stdout.write(SEGMENT_JOB_USAGE + '\n');
        return sub ? 0 : 2;
      }
      const spec = SEGMENT_JOB_SPECS[sub];
      if (!spec) throw new UsageError(`Unknown segment-job command "${sub}"\n\n${SEGMENT_JOB_USAGE}`);
      const { positional, options } = parseCommand(spec, args);
      if (options.help) return help(spec);
      return report(await segmentJobCommand(sub, positional, options, connectionOf(options)));
    }
    default:
      throw new UsageError(`Unknown command "${command}"\n\n${USAGE}`);
  }
}

function help(spec: CommandSpec): number {
  process.stdout.write(commandHelp(spec) + '\n');
  return 0;
}

function report(r: CommandResult): number {
  if (r.output !== undefined) out(r.output);
  if (r.message) process.stderr.write(`${r.message}\n`);
  return r.code ?? 0;
}

main(process.argv.slice(2)).then(
  // Exit at once: fetch's idle keep-alive sockets would hold the process for seconds (stdout and
  // stderr are synchronous on pipes and files on Linux, so nothing written is lost).
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
