#!/usr/bin/env node
// The `milvaion-worker` executable: registers tsx (the package runs from TypeScript source), then the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
