/** Runs `fn` on the next turn of the event loop (setImmediate where the runtime has it, as on Node). */
export const nextTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);
