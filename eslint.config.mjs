// ESLint (flat config): typescript-eslint's type-aware recommended rules on the TypeScript code,
// the plain recommended rules on the JavaScript files, and eslint-config-prettier last so that no
// rule argues with Prettier about layout. `npm run lint` runs it together with `prettier --check`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TEST_FILES = ['test/**/*.ts', '**/*.spec.ts', '**/*.contract.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'var/', 'libs/persistence/src/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `let x; const stop = () => x?.close(); x = await start()`: a signal handler installed before
      // the thing it stops exists needs the `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks a binding that is there on purpose (a parameter a signature
      // requires, a field pulled out of an object so that `...rest` leaves it out).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: TEST_FILES,
    rules: {
      // Tests read HTTP answers (supertest's `res.body` is `any`) and parsed files field by field,
      // and the project's convention for those is `{ body: any }`: the no-unsafe-* family and
      // no-explicit-any would only ask for casts that prove nothing a failing expect() does not.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Test doubles implement async interfaces (storage, sources, handlers) with `async` methods
      // that have nothing to wait for: the `async` is what keeps them true to the interface.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Benchmarks, jest config and the s3rver child script are plain JavaScript outside tsconfig.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
