// What a call threw, as a code tests can compare: the GeoattestError's code, 'no error', or
// 'not a GeoattestError' (an uncoded throw, which every hostile-input test must rule out).

import { type ErrorCode, GeoattestError } from '../../src/errors.js';

export type Outcome = ErrorCode | 'no error' | 'not a GeoattestError';

export function errorCodeOf(f: () => unknown): Outcome {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof GeoattestError ? e.code : 'not a GeoattestError';
  }
}
