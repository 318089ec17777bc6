// DataSyncJob: several injected services (a scoped repository and a singleton external API client), both fakes.
import { asClass } from 'awilix';
import * as v from 'valibot';
import { defineJob, defineSetup } from '../../lib/index.ts';

export interface DataRecord {
  readonly id: string;
  readonly value: string;
}

export interface ExternalApi {
  fetchChanges(since: string, signal: AbortSignal): Promise<DataRecord[]>;
}

export interface DataRepository {
  save(records: readonly DataRecord[], signal: AbortSignal): Promise<number>;
}

/** The fake database behind the repository (shared; each execution gets its own repository instance). */
export const database = new Map<string, string>();

export class FakeExternalApi implements ExternalApi {
  async fetchChanges(since: string, signal: AbortSignal): Promise<DataRecord[]> {
    signal.throwIfAborted();
    return [1, 2, 3].map((n) => ({ id: `${since}-${n}`, value: `value ${n}` }));
  }
}

export class InMemoryDataRepository implements DataRepository {
  async save(records: readonly DataRecord[], signal: AbortSignal): Promise<number> {
    signal.throwIfAborted();
    for (const r of records) database.set(r.id, r.value);
    return records.length;
  }
}

declare module '../../lib/index.ts' {
  interface Services {
    externalApi: ExternalApi;
    dataRepository: DataRepository;
  }
}

export const dataSyncSetup = defineSetup({
  services: (c) =>
    c.register({
      externalApi: asClass(FakeExternalApi).singleton(), // shared, like an HttpClient
      dataRepository: asClass(InMemoryDataRepository).scoped(), // per execution, like a DbContext
    }),
});

export const dataSync = defineJob({
  name: 'DataSyncJob',
  data: v.object({ since: v.pipe(v.string(), v.isoDate()) }),
  async run(data, ctx) {
    const { externalApi, dataRepository } = ctx.services;
    const changes = await externalApi.fetchChanges(data.since, ctx.signal);
    const saved = await dataRepository.save(changes, ctx.signal);
    ctx.log.info(`Synced ${saved} records changed since ${data.since}`);
    return { saved };
  },
});
