// NestJS 12 ships ESM only: @swc/jest compiles our TypeScript and those packages to CommonJS,
// with legacy decorators and decorator metadata (what Nest's DI reads).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // Let the ESM-only packages through the transform.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|load-esm|file-type|uid|token-types|strtok3|@tokenizer|peek-readable|hyparquet|hyparquet-writer)/)'],
  moduleNameMapper: {
    '^@sx/(config|domain|persistence|queue|observability|storage|ingest|export|export-diff|pql)$': '<rootDir>/libs/$1/src/index.ts',
    // The generated Prisma client imports its siblings as `./x.js`.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-timeouts.ts'],
    },
  ],
};
