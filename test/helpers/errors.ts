/**
 * A TfgwError from either copy of @tfgw/core: core's own tests load its sources, every other
 * package loads its build, so `instanceof` cannot tell; the class name and code prefix can.
 */
function isTfgwError(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error) || err.name !== 'TfgwError') return false;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('TFGW_ERR_');
}

/** What `fn` returns, or the code of the TfgwError it throws; any other exception fails the test. */
export function resultOrCode<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (err) {
    if (!isTfgwError(err)) throw err;
    return err.code;
  }
}

/** The code of the TfgwError `fn` throws, or undefined when it returns; any other exception fails the test. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!isTfgwError(err)) throw err;
    return err.code;
  }
}
