// Loads Prisma's schema engine compiled to WASM (@prisma/schema-engine-wasm).
// Its published build targets bundlers (`import * as wasm from './x.wasm'`),
// so in Node it is instantiated by hand. Files are located by package
// resolution, never relative to this source file: in the server's esbuild
// bundle import.meta.url is the bundle's.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as EngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg'

type Glue = typeof EngineGlue
export type SchemaEngine = EngineGlue.SchemaEngine

interface PanicRegistry {
  set_message(message: string): void
}

declare global {
  // Read by both WASM engines (this one and the Prisma client's query
  // compiler) when Rust panics; a missing one turns every panic into an
  // unrelated TypeError.
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined
}

/** A Rust panic inside the schema engine. The engine instance is discarded. */
export class SchemaEnginePanicError extends Error {
  constructor(readonly panicMessage: string) {
    super(`The schema engine crashed: ${panicMessage}`)
    this.name = 'SchemaEnginePanicError'
  }
}

const ENGINE_PACKAGE = '@prisma/schema-engine-wasm'
const OUR_HOOK = Symbol.for('wxapp.db.panicHook')

let panicCount = 0
let lastPanic = ''

/**
 * Makes sure the global panic registry exists and records panic messages for
 * us. The Prisma client runtime installs its own registry (which throws) when
 * it loads and swaps set_message around its own calls, so ours wraps whatever
 * is there instead of replacing it, and is re-applied before every use.
 */
export function ensurePanicRegistry(): void {
  const registry = globalThis.PRISMA_WASM_PANIC_REGISTRY
  const current = registry?.set_message as ((m: string) => void) & { [OUR_HOOK]?: true }
  if (registry && current?.[OUR_HOOK]) return
  const previous = current
  const hook = Object.assign(
    (message: string) => {
      panicCount += 1
      lastPanic = message
      previous?.call(registry, message)
    },
    { [OUR_HOOK]: true as const },
  )
  if (registry) registry.set_message = hook
  else globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: hook }
}

// The WebAssembly global without lib.dom: just what is used here.
interface WasmModule {
  readonly __brand: 'WebAssembly.Module'
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(
    module: WasmModule,
    imports: Record<string, unknown>,
  ): Promise<{ exports: Record<string, unknown> }>
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

interface Runtime {
  compiled?: Promise<WasmModule>
  instance?: Promise<Glue>
}
const runtimes = new Map<string, Runtime>()
let generation = 0
let wasmOverride: string | undefined

function gluePath(): string {
  try {
    return createRequire(import.meta.url).resolve(`${ENGINE_PACKAGE}/schema_engine_bg`)
  } catch (error) {
    throw new Error(
      `Cannot find ${ENGINE_PACKAGE}: it must be installed next to @wxapp/db (and be a dependency of a bundled app)`,
      { cause: error },
    )
  }
}

/**
 * Runs the engine from another build of the same engine (same glue ABI), such
 * as the one the Prisma CLI ships in prisma/build/. Tests use it to check that
 * our output equals the CLI's. `undefined` restores the default.
 */
export function useEngineWasm(path: string | undefined): void {
  wasmOverride = path
}

/**
 * The engine arms a JS timer for its timeouts (10 s for the advisory lock)
 * and never clears it, which kept a process alive 10 s after migrating.
 * Unref'd, the timers still fire in a live process but hold none open.
 */
function withUnrefTimers(glue: Glue): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue }
  for (const key of Object.keys(imports)) {
    if (key.startsWith('__wbg_setTimeout_')) {
      imports[key] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref()
    }
  }
  return imports
}

async function instantiate(runtime: Runtime, wasmPath: string, glueFile: string): Promise<Glue> {
  runtime.compiled ??= readFile(wasmPath).then((bytes) => Wasm.compile(bytes))
  const module = await runtime.compiled
  // The glue keeps its WASM instance in module state, so every instance
  // (another build, or a fresh one after a panic) needs its own copy of it.
  generation += 1
  const href = pathToFileURL(glueFile).href
  const glue = (await import(generation === 1 ? href : `${href}?instance=${generation}`)) as Glue
  const wasm = await Wasm.instantiate(module, { './schema_engine_bg.js': withUnrefTimers(glue) })
  ensurePanicRegistry()
  glue.__wbg_set_wasm(wasm.exports)
  ;(wasm.exports as { __wbindgen_start: () => void }).__wbindgen_start()
  return glue
}

function loadGlue(): Promise<Glue> {
  const glueFile = gluePath()
  const wasmPath = wasmOverride ?? join(dirname(glueFile), 'schema_engine_bg.wasm')
  let runtime = runtimes.get(wasmPath)
  if (!runtime) {
    runtime = {}
    runtimes.set(wasmPath, runtime)
  }
  const r = runtime
  r.instance ??= instantiate(r, wasmPath, glueFile).catch((error: unknown) => {
    r.instance = undefined
    r.compiled = undefined
    throw error
  })
  return r.instance
}

/**
 * Runs one engine call. A panic shows up as a trap ("unreachable") or as
 * whatever the registry threw; either way a message was recorded, which is
 * what tells a panic from an ordinary engine error.
 */
export async function engineCall<T>(call: () => Promise<T> | T): Promise<T> {
  ensurePanicRegistry()
  const before = panicCount
  try {
    return await call()
  } catch (error) {
    if (panicCount !== before) {
      // The instance's memory is undefined after a panic: the next caller gets a new one.
      for (const runtime of runtimes.values()) runtime.instance = undefined
      throw new SchemaEnginePanicError(lastPanic)
    }
    throw error
  }
}

export type EngineLog = (line: string) => void

/**
 * Creates an engine bound to a driver adapter factory. `datamodels` must be
 * undefined, not []: an empty list panics (psl wants at least one file), and a
 * panic inside async engine code cannot be caught.
 */
export async function createSchemaEngine(
  adapterFactory: object,
  onLog: EngineLog = () => {},
): Promise<SchemaEngine> {
  const glue = await loadGlue()
  return engineCall(() => glue.SchemaEngine.new({ datamodels: undefined }, onLog, adapterFactory))
}

/** The git hash of the engine build in use. */
export async function engineVersion(): Promise<string> {
  return (await loadGlue()).version()
}
