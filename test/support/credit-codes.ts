import { creditCodeCheck } from '../../src/pool/credit-code.js';

let next = 0;

/** A valid credit code (GB 32100-2015) not handed out before in this test process. */
export function newCreditCode(): string {
  const first17 = `91210200${String(process.pid % 100).padStart(2, '0')}${String(next++).padStart(7, '0')}`;
  return first17 + creditCodeCheck(first17);
}
