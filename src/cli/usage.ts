// Usage errors: wrong options, missing arguments. They exit with status 2, after a hint.

import { GeoattestError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function usageError(message: string): GeoattestError {
  return new GeoattestError('USAGE', message);
}

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}
