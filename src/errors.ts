/**
 * An error a user can act on: what went wrong, where (file, line, field), and what to do.
 * Every stage throws these; the command line prints them once, without a stack trace.
 */
export interface ErrorContext {
  /** The file the problem is in (config, safetensors, corpus, ...). */
  file?: string;
  line?: number;
  column?: number;
  /** A config key path (`exhibits[1].corpus.split`) or a tensor / field name. */
  field?: string;
  /** What the user can do about it. */
  hint?: string;
  /** The exhibit being built when it happened. */
  exhibit?: string;
}

export class TokenscapeError extends Error {
  override name = 'TokenscapeError';
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.context = context;
  }

  /** The text shown to users: location first, then the problem, then the remedy. */
  format(): string {
    const { file, line, column, field, hint, exhibit } = this.context;
    const where = [file && (line ? `${file}:${line}${column ? `:${column}` : ''}` : file), field && `at ${field}`]
      .filter(Boolean)
      .join(' ');
    const head = [exhibit && `exhibit "${exhibit}"`, where].filter(Boolean).join(', ');
    return `${head ? `${head}: ` : ''}${this.message}${hint ? `\n  ${hint}` : ''}`;
  }

  /** The same error with more context filled in (keeps what is already known). */
  withContext(more: ErrorContext): TokenscapeError {
    const e = new TokenscapeError(this.message, { ...more, ...this.context }, { cause: this.cause });
    e.stack = this.stack;
    return e;
  }
}
