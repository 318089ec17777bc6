// The DI root: awilix in PROXY mode with strict lifetimes. Each execution gets its own scope from it.
import { createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { Services } from '../vocabulary/types.js';

/** Creates the root container and lets `setup` register services (singleton, scoped or transient). */
export function createServiceContainer(setup?: (container: AwilixContainer<Services>) => void): AwilixContainer<Services> {
  const container = createContainer<Services>({ injectionMode: InjectionMode.PROXY, strict: true });
  setup?.(container);
  return container;
}
