// A TypeScript job module: the CLI needs tsx to load it.
import { defineJob } from 'milvaion-worker';

export const echo = defineJob({ name: 'EchoJob', run: async (data: unknown) => ({ echoed: data }) });
