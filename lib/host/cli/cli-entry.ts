#!/usr/bin/env node
// The `milvaion-worker` executable, compiled to plain JavaScript: no TypeScript loader is needed to start it.
// A user's .ts job modules get one lazily, when discovery finds them (see load-module.ts).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
