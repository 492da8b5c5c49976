/** A selection names what does not exist (a model id, backend, mode, shard or model source): the
 * caller's input, so the CLI exits 2 (usage), not 3 (internal), and the message lists what does. */
export class SelectionError extends Error {}
