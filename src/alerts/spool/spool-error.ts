// Typed errors of the on-disk spool, with the directory and sizes that explain them.

export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
  constructor(
    readonly dir: string,
    readonly pendingBytes: number,
    readonly maxBytes: number,
  ) {
    super(`spool ${dir} is full: ${pendingBytes} of ${maxBytes} bytes pending; the new record is refused`);
  }
}

export class SpoolIoError extends Error {
  override readonly name = 'SpoolIoError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}
