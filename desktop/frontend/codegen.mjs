// GraphQL Codegen config, shared by `npm run codegen` and scripts/codegen-check.mjs.
/** @type {import('@graphql-codegen/cli').CodegenConfig} */
const config = {
  // The root schema and one file per capability (see the top of schema.graphqls).
  schema: ['../../schema.graphqls', '../../schema/*.graphqls'],
  documents: ['src/**/*.ts', '!src/gql/**', '!src/**/*.test.ts'],
  generates: {
    'src/gql/graphql.ts': {
      plugins: ['typescript-operations'],
      config: {
        scalars: { Time: 'string', JSON: 'unknown', ID: 'string' },
        enumsAsTypes: true,
        // Only what our operations use, so unrelated schema growth does not churn this file.
        onlyOperationTypes: true,
        useTypeImports: true,
      },
    },
  },
};
export default config;
