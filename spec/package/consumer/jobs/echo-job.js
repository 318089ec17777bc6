// A plain JavaScript job module: the CLI loads it with no TypeScript loader.
import { defineJob } from 'milvaion-worker';

export const echo = defineJob({ name: 'EchoJob', run: async (data) => ({ echoed: data }) });
