// Runs a suspect alone: a redelivery whose previous delivery ended with no outcome may be the message that killed
// the process. Run next to others, it would take them down again and count a crash against each of them; run
// alone, only it is counted. Other jobs pass the gate without waiting while no suspect waits or runs.

/** The process's gate in front of job executions. */
export interface SoloGate {
  /** Enters as one of many: undefined when entered at once, else a promise that resolves once entered. */
  enter(): Promise<void> | undefined;
  /** Leaves after `enter()`. */
  leave(): void;
  /** Waits until nothing else runs, then runs `work` while new entries wait. */
  alone<T>(work: () => Promise<T>): Promise<T>;
}

/** Creates a gate. */
export function createSoloGate(): SoloGate {
  let running = 0;
  let solos = 0; // suspects waiting or running: while any, entries wait
  const entries: (() => void)[] = [];
  const idle: (() => void)[] = [];
  let turn: Promise<unknown> = Promise.resolve(); // suspects run one after another

  const wake = () => {
    if (running === 0) for (const resolve of idle.splice(0)) resolve();
  };
  const open = () => {
    if (solos > 0) return;
    for (const resolve of entries.splice(0)) {
      running++;
      resolve();
    }
  };

  return {
    enter() {
      if (solos === 0) {
        running++;
        return undefined;
      }
      return new Promise<void>((resolve) => entries.push(resolve));
    },
    leave() {
      running--;
      wake();
    },
    alone(work) {
      solos++;
      const mine = turn.then(async () => {
        if (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
        running++;
        try {
          return await work();
        } finally {
          running--;
          solos--;
          open();
          wake();
        }
      });
      turn = mine.catch(() => undefined);
      return mine;
    },
  };
}
