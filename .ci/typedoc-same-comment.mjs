// A TypeDoc plugin for one false warning. TypeDoc reports "X has multiple declarations with a comment" when a
// symbol lists the same declaration twice, as the properties of valibot's InferInput<> do (an intersection of two
// mapped types over one object literal): one comment, counted twice. The warning is dropped only when every
// location it names is the same file and line; two different comments still warn (and fail `npm run docs`).
const MULTIPLE = /has multiple declarations with a comment/;

/** Called by TypeDoc with its application. */
export function load(app) {
  const logger = app.logger;
  const warn = logger.warn.bind(logger);
  const info = logger.info.bind(logger);
  let held;
  const release = () => {
    if (held !== undefined) warn(...held);
    held = undefined;
  };
  logger.warn = (text, ...args) => {
    release();
    if (typeof text === 'string' && MULTIPLE.test(text)) held = [text, ...args];
    else warn(text, ...args);
  };
  logger.info = (text) => {
    if (held !== undefined) {
      const locations = String(text).split('\n').slice(1).map((l) => l.trim());
      const same = locations.length > 1 && locations.every((l) => l === locations[0]);
      if (same) {
        held = undefined;
        return;
      }
      release();
    }
    info(text);
  };
}
