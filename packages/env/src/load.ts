import { createEnv, type StandardSchemaV1 } from '@t3-oss/env-core'

/** The configuration is wrong: every problem, each naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Shape = Record<string, StandardSchemaV1>
type Parsed<TShape extends Shape> = {
  [K in keyof TShape]: StandardSchemaV1.InferOutput<TShape[K]>
}

export interface LoadEnvOptions<TShape extends Shape> {
  /** Default: process.env (never modified). */
  env?: Record<string, string | undefined>
  /**
   * Rules across variables. Called with the set variables (empty ones are
   * unset) and, when every variable parsed, their values; returns problems.
   */
  check?: (present: Record<string, string>, parsed: Parsed<TShape> | undefined) => string[]
}

function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? [])
    .map((part) => String(typeof part === 'object' ? part.key : part))
    .join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/**
 * Reads the variables of `shape` with @t3-oss/env-core. An empty variable
 * counts as unset (as in a shell's `FOO= cmd`). Throws one ConfigError with
 * every problem, the cross-variable ones included.
 */
export function loadEnv<TShape extends Shape>(
  shape: TShape,
  options: LoadEnvOptions<TShape> = {},
): Parsed<TShape> {
  const present: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.env ?? process.env)) {
    if (value !== undefined && value !== '') present[name] = value
  }
  let problems: string[] = []
  let parsed: Parsed<TShape> | undefined
  try {
    // A copy: env-core deletes empty variables from what it is given.
    parsed = createEnv({
      server: shape,
      runtimeEnv: { ...present },
      isServer: true,
      onValidationError: (issues) => {
        problems = issues.map(describeIssue)
        throw new ConfigError(problems)
      },
    }) as Parsed<TShape>
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
  }
  problems.push(...(options.check?.(present, parsed) ?? []))
  if (!parsed || problems.length > 0) throw new ConfigError(problems)
  // A plain object, not env-core's Proxy: callers spread and compare it.
  return { ...parsed }
}

/** For a process's start: the configuration, or its problems on stderr and exit 1 (no stack trace). */
export function configOrExit<T>(load: () => T): T {
  try {
    return load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}
