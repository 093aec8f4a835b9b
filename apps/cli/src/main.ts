import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { ApiClientRepository } from '@sx/persistence';
import { UsageError, parseArgs } from './args';
import { CliModule } from './cli.module';
import { createClient } from './create-client.command';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  create-client --org <ORG_ID> [--sandboxes <a,b>]   create an API client; prints it as JSON (default sandbox: prod)`;

async function main(argv: string[]): Promise<number> {
  const { command, options } = parseArgs(argv);
  if (!command || command === 'help' || options.help) {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: new JsonLogger('cli', 'warn', (line) => process.stderr.write(line + '\n')),
  });
  try {
    switch (command) {
      case 'create-client':
        process.stdout.write(JSON.stringify(await createClient(app.get(ApiClientRepository), options)) + '\n');
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
