// The one error base of the sidecar: every thrown error carries a stable, domain-specific code.

export class MailwardenError<C extends string = string> extends Error {
  override readonly name: string = 'MailwardenError';
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
