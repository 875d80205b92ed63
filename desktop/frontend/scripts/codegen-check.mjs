// Fails when src/gql/ is stale against the schema (../../schema.graphqls and
// ../../schema/*.graphqls) or src/operations.ts:
// generates in memory and compares with the committed files, writing nothing.
import { generate } from '@graphql-codegen/cli';
import { readFile } from 'node:fs/promises';
import config from '../codegen.mjs';

const outputs = await generate({ ...config, silent: true }, false);
let stale = 0;
for (const { filename, content } of outputs) {
  const onDisk = await readFile(filename, 'utf8').catch(() => null);
  if (onDisk !== content) {
    console.error(`codegen: ${filename} is out of date; run \`npm run codegen\` in desktop/frontend`);
    stale++;
  }
}
if (stale) process.exit(1);
console.log(`codegen: ${outputs.length} file(s) up to date`);
