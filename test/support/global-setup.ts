import { execSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * e2e tests also start the real built processes (worker, CLI) as children, so the build must be
 * current: compile once before the suites run.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  checkMigrationsWithPrisma(root);
  if (process.env.SX_BUILT === '1') return; // scripts/test.sh has just built
  execSync('npm run -s build', { cwd: root, stdio: 'inherit' });
}

/**
 * Test databases are migrated by running the migration files directly (fast); production runs
 * `prisma migrate deploy`, whose script runner is stricter (it splits on every semicolon, even in
 * comments). Deploying once into a scratch database keeps the two from drifting apart.
 */
function checkMigrationsWithPrisma(root: string): void {
  const admin = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `sx_test_migrate_${process.pid}`;
  const psql = (sql: string) => execSync(`psql "${admin}" -qtAc '${sql}'`, { stdio: 'pipe' });
  psql(`DROP DATABASE IF EXISTS ${name}`);
  psql(`CREATE DATABASE ${name}`);
  try {
    const url = admin.replace(/\/[^/]*$/, `/${name}`);
    execSync('npx prisma migrate deploy', { cwd: root, stdio: 'pipe', env: { ...process.env, DATABASE_URL: url } });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`prisma migrate deploy failed on a fresh database:\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`, { cause: e });
  } finally {
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
