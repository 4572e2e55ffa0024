import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  appSecretList,
  ConfigError,
  DEV_APP,
  duration,
  loadEnv,
  logLevel,
  port,
} from '../src/index'

function problems(run: () => unknown): string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadEnv', () => {
  const shape = { PORT: port.default(3000), LOG_LEVEL: logLevel, TTL: duration.prefault('5s') }

  it('applies defaults, parses values, and treats empty variables as unset', () => {
    expect(loadEnv(shape, { env: { PORT: '', LOG_LEVEL: 'debug' } })).toEqual({
      PORT: 3000,
      LOG_LEVEL: 'debug',
      TTL: 5000,
    })
  })

  it('never changes the environment it reads', () => {
    const env = { PORT: '', TTL: '2m' }
    loadEnv(shape, { env })
    expect(env).toEqual({ PORT: '', TTL: '2m' })
  })

  it('reports every problem at once, the cross-variable ones too, each naming its variable', () => {
    const found = problems(() =>
      loadEnv(shape, {
        env: { PORT: 'x', LOG_LEVEL: 'loud', A: 'set' },
        check: (present, parsed) => [
          ...(present.A && !present.B ? ['B: must be set when A is'] : []),
          ...(parsed ? ['never: the parse failed'] : []),
        ],
      }),
    )
    expect(found).toEqual([
      'PORT: must be a whole number between 0 and 65535',
      expect.stringMatching(/^LOG_LEVEL: must be one of fatal, error/),
      'B: must be set when A is',
    ])
  })

  it('passes the parsed values to the cross-variable check', () => {
    const found = problems(() =>
      loadEnv(shape, {
        env: { TTL: '1h' },
        check: (_present, parsed) => (parsed && parsed.TTL > 60_000 ? ['TTL: too long'] : []),
      }),
    )
    expect(found).toEqual(['TTL: too long'])
  })
})

describe('validators', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
  ])('duration %s is %i ms', (text, ms) => {
    expect(duration.parse(text)).toBe(ms)
  })

  it.each(['', '5', 'a week', '1.5h', '-1s'])('duration refuses %o', (text) => {
    expect(duration.safeParse(text).success).toBe(false)
  })

  it('reads appid:secret lists, skipping blanks, keeping colons in secrets', () => {
    expect(appSecretList.parse(' wx_a:one , wx_b:two:with:colons,,')).toEqual([
      { appid: 'wx_a', secret: 'one' },
      { appid: 'wx_b', secret: 'two:with:colons' },
    ])
  })

  it('names the bad entry of an appid:secret list, without quoting it', () => {
    const result = z.object({ APPS: appSecretList }).safeParse({ APPS: 'wx_a:ok,hunter2' })
    expect(result.success).toBe(false)
    const message = result.error?.issues[0]?.message ?? ''
    expect(message).toMatch(/^entry 2 must be appid:secret/)
    expect(message).not.toContain('hunter2')
  })

  it('bounds ports', () => {
    expect(port.parse('0')).toBe(0)
    for (const bad of ['-1', '65536', '80.5', 'http'])
      expect(port.safeParse(bad).success).toBe(false)
  })

  it('has one development app', () => {
    expect(DEV_APP).toEqual({ appid: 'wx_sim_dev_app', secret: 'sim_dev_secret_0123456789abcdef' })
    expect(Object.isFrozen(DEV_APP)).toBe(true)
  })
})
