/** The import rules of ../shared/ARCHITECTURE.md, checked on every `npm test`. */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make start-up order and testing fragile.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'store-imports-only-store',
      severity: 'error',
      comment: 'The store knows tables, not protocols: it imports only store/**, kysely and the drivers.',
      from: { path: '^src/store/' },
      to: {
        dependencyTypesNot: ['core', 'type-only'],
        // The audit chain's hash and secret redaction are pure, applied where the chain head is read, under its lock.
        pathNot: ['^src/store/', '^src/audit/(chain|redact)\\.ts$', 'node_modules/(kysely|kysely-pglite-dialect|pg|pg-[a-z-]+|@electric-sql/pglite)/'],
      },
    },
    {
      name: 'only-services-touch-the-store',
      severity: 'error',
      comment: 'Routes call services; pure modules stay pure. Only service modules (and the runtime wiring) reach the store.',
      from: {
        path: '^src/(?!store/)',
        pathNot: ['(^|/)service\\.ts$', '-service\\.ts$', '^src/runtime\\.ts$', '^src/cli/migrate\\.ts$', '^src/[a-z-]+/store-[a-z-]+\\.ts$', '(^|/)job\\.ts$'],
      },
      to: { path: '^src/store/(?!tables\\.ts$|database\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-edge-in-domain',
      severity: 'error',
      comment: 'The domain never imports the HTTP edge or the CLI.',
      from: { path: '^src/', pathNot: ['^src/(app|main)\\.ts$', '^src/cli/', '^src/control/', '^src/http/', '(^|/)routes?\\.ts$', '-routes\\.ts$', '(^|/)plugin\\.ts$', '-plugin\\.ts$', '^src/console/'] },
      to: { path: '(^src/cli/|(^|/)routes?\\.ts$|-routes\\.ts$)' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
