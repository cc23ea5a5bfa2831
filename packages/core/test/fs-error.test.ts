import { FsError, errnoOf, fsError, hasCode, restoreStackTraces, stopStackTraces } from '../src/errors/index.js';

// Routine answers (ENOENT, ENODATA…) skip the stack trace, which costs more than the rest of a
// lookup; real failures keep it. Both carry the same code, errno, message and cause.
describe('FsError', () => {
  function thrownFrom(code: 'ENOENT' | 'EIO'): FsError {
    try {
      throw fsError(code, 'something', new Error('below'));
    } catch (e) {
      return e as FsError;
    }
  }

  test('a routine errno carries code, errno, message and cause but no stack frames', () => {
    const e = thrownFrom('ENOENT');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('FsError');
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(2);
    expect(e.message).toBe('ENOENT: something');
    expect((e.cause as Error).message).toBe('below');
    expect(e.stack).toBe('FsError: ENOENT: something');
    expect(hasCode(e, 'ENOENT')).toBe(true);
    expect(errnoOf(e)).toBe('ENOENT');
  });

  test('a failure keeps its stack, and the global limit is restored after a routine one', () => {
    const before = Error.stackTraceLimit;
    thrownFrom('ENOENT');
    expect(Error.stackTraceLimit).toBe(before);
    const e = thrownFrom('EIO');
    expect(e.stack).toMatch(/\n\s+at .*thrownFrom/);
  });

  test('stopStackTraces: errors made meanwhile capture no stack, and the limit comes back', () => {
    const before = Error.stackTraceLimit;
    const limit = stopStackTraces();
    let e: Error;
    try {
      e = new Error('quiet');
    } finally {
      restoreStackTraces(limit);
    }
    expect(e.stack).toBeUndefined();
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('loud').stack).toMatch(/\n\s+at /);
  });
});
