import { execSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * e2e tests also start the real built processes (worker, CLI) as children, so the build must be
 * current: compile once before the suites run.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.SX_BUILT === '1') return; // scripts/test.sh has just built
  execSync('npm run -s build', { cwd: join(__dirname, '..', '..'), stdio: 'inherit' });
}
