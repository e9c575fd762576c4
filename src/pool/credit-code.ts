/**
 * The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a 31-character set
 * (digits and capitals without I, O, S, V, Z), the last one a check character over the first 17.
 */
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character for the first 17 characters of a code. */
export function creditCodeCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARSET.indexOf(first17[i]!) * WEIGHTS[i]!;
  const check = 31 - (sum % 31);
  return CHARSET[check === 31 ? 0 : check]!;
}

/** Why a code is not valid, or null when it is. */
export function creditCodeProblem(code: string): string | null {
  if (code.length !== 18) return `a credit code has 18 characters, not ${code.length}`;
  if (!SHAPE.test(code))
    return 'a credit code uses digits and capitals other than I, O, S, V and Z, with digits in places 3 to 8';
  const expected = creditCodeCheck(code.slice(0, 17));
  return code[17] === expected
    ? null
    : `the check character of this credit code should be ${expected}, not ${code[17]}`;
}
