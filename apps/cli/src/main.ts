import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { ApiClientRepository } from '@sx/persistence';
import { UsageError, parseArgs } from './args';
import { CliModule } from './cli.module';
import { createClient } from './create-client.command';
import { generateCommand } from './generate/generate.command';
import { loadCommand } from './load/load.command';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  create-client --org <ORG_ID> [--sandboxes <a,b>]
      create an API client; prints it as JSON (default sandbox: prod)
  generate --profiles <N> [--seed <S>] [--records generator|small] --out <DIR>
      write deterministic sample profiles, events and segment definitions as JSON Lines
      (small: about 400-byte records in one profile dataset)
  load <DIR> [--api <URL>] [--org <ORG_ID>] [--sandbox <NAME>] [--client-id <ID> --client-secret <SECRET>]
      create the datasets and segments of a generated DIR and ingest its files through the API`;

async function main(argv: string[]): Promise<number> {
  const { command, positional, options } = parseArgs(argv);
  if (!command || command === 'help' || options.help) {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
  if (command === 'generate') {
    print(await generateCommand(options));
    return 0;
  }
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: new JsonLogger('cli', 'warn', (line) => process.stderr.write(line + '\n')),
  });
  try {
    switch (command) {
      case 'create-client':
        print(await createClient(app.get(ApiClientRepository), options));
        return 0;
      case 'load':
        print(await loadCommand(positional[0], options, { clients: app.get(ApiClientRepository), config }));
        return 0;
      default:
        throw new UsageError(`Unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
