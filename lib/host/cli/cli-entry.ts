#!/usr/bin/env node
// The `milvaion-worker` executable, compiled to plain JavaScript: no TypeScript loader is needed to start it.
// A user's .ts job modules get one lazily, when discovery finds them (see load-module.ts).
import { main } from './cli.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Done: a handle something left open (a user's service, a socket) must not keep the process alive.
setTimeout(() => process.exit(code), 1000).unref();
