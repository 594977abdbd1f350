/**
 * Errors are values with stable codes. Each failure mode is a subclass with its own `code`; the edges
 * (gRPC status, HTTP status, CLI exit code) map codes, never messages. Messages name the thing that
 * is wrong (file and line, field, cluster, bundle) and what to do.
 */
export abstract class FlotillaError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isFlotillaError(err: unknown): err is FlotillaError {
  return err instanceof FlotillaError;
}
