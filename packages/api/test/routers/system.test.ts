import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, refusal, type TestApi } from '../helpers/api'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

describe('system.ping', () => {
  it('answers without a session, echoing at most 256 characters', async () => {
    const ping = api.caller().system.ping
    expect(await ping({ echo: 'hello' })).toEqual({
      pong: true,
      echo: 'hello',
      serverTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    expect((await ping()).echo).toBeNull()
    expect(await refusal(ping({ echo: 'x'.repeat(257) }))).toEqual({
      code: 'BAD_REQUEST',
      reason: 'INVALID_INPUT',
    })
  })
})
