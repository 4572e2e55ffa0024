/*
 * src/lib/platform.ts, the one place for platform differences: which platform a build
 * is (TARO_ENV), what it can do (the pages read these), and the per-platform bits
 * behind appid, privacy APIs and the login source's checkSession.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

const taro = vi.hoisted(() => ({
  current: {} as Record<string, unknown>,
}))
// A Proxy so that each test can give the module its own Taro object.
vi.mock('@tarojs/taro', () => ({
  default: new Proxy(
    {},
    {
      get: (_target, key: string) => taro.current[key],
      has: (_target, key: string) => key in taro.current,
    },
  ),
}))

type PlatformModule = typeof import('../src/lib/platform')

async function platformModule(env: string | undefined): Promise<PlatformModule> {
  vi.resetModules()
  if (env === undefined) vi.stubEnv('TARO_ENV', undefined)
  else vi.stubEnv('TARO_ENV', env)
  return import('../src/lib/platform')
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
  taro.current = {}
})

/** Douyin's `tt` global as far as login goes: callback-style, as the platform has it. */
function fakeTt(answer: { code?: string; anonymousCode?: string }) {
  const forces: boolean[] = []
  return {
    forces,
    login(options: { force: boolean; success(result: object): void }) {
      forces.push(options.force)
      options.success({ ...answer, isLogin: answer.code !== undefined, errMsg: 'login:ok' })
    },
    checkSession(options: { success(result: object): void; fail(error: object): void }) {
      options.fail({ errMsg: 'checkSession:fail session expired' })
    },
  }
}

describe('capabilities per platform', () => {
  it('keeps WeChat on its own buttons and privacy check', async () => {
    const { CAPABILITIES } = await platformModule('weapp')
    expect(CAPABILITIES.weapp).toEqual({
      avatarPicker: 'chooseAvatar',
      nicknameInputType: 'nickname',
      phoneNumber: 'getPhoneNumberButton',
      checkSession: true,
      privacyAuthorization: 'wechat',
      tabBarInPage: false,
    })
  })

  it('keeps the H5 preview on the simulator and the file chooser', async () => {
    const { CAPABILITIES } = await platformModule('weapp')
    expect(CAPABILITIES.h5).toEqual({
      avatarPicker: 'browserFile',
      nicknameInputType: 'text',
      phoneNumber: 'simulator',
      checkSession: true,
      privacyAuthorization: 'simulator',
      tabBarInPage: true,
    })
  })

  it.each(['qq', 'tt'] as const)(
    '%s: image picker, text nickname, no phone binding',
    async (name) => {
      const { CAPABILITIES } = await platformModule('weapp')
      expect(CAPABILITIES[name]).toEqual({
        avatarPicker: 'chooseImage',
        nicknameInputType: 'text',
        phoneNumber: 'unavailable',
        checkSession: true,
        privacyAuthorization: 'none',
        tabBarInPage: false,
      })
    },
  )

  it('alipay: as QQ and Douyin, and without checkSession', async () => {
    const { CAPABILITIES } = await platformModule('weapp')
    expect(CAPABILITIES.alipay).toEqual({
      avatarPicker: 'chooseImage',
      nicknameInputType: 'text',
      phoneNumber: 'unavailable',
      checkSession: false,
      privacyAuthorization: 'none',
      tabBarInPage: false,
    })
  })

  it('only WeChat has the chooseAvatar and getPhoneNumber buttons', async () => {
    const { CAPABILITIES, PLATFORMS } = await platformModule('weapp')
    expect(PLATFORMS.filter((name) => CAPABILITIES[name].avatarPicker === 'chooseAvatar')).toEqual([
      'weapp',
    ])
    expect(
      PLATFORMS.filter((name) => CAPABILITIES[name].phoneNumber === 'getPhoneNumberButton'),
    ).toEqual(['weapp'])
    expect(
      PLATFORMS.filter((name) => CAPABILITIES[name].privacyAuthorization === 'wechat'),
    ).toEqual(['weapp'])
  })
})

describe('the platform a build runs on', () => {
  it.each(['weapp', 'h5', 'qq', 'tt', 'alipay'] as const)(
    'TARO_ENV=%s gives that platform and its capabilities',
    async (name) => {
      const { platform, capabilities, CAPABILITIES } = await platformModule(name)
      expect(platform).toBe(name)
      expect(capabilities).toBe(CAPABILITIES[name])
    },
  )

  it('is weapp without TARO_ENV, and refuses a platform it does not know', async () => {
    const { platform, platformOf } = await platformModule(undefined)
    expect(platform).toBe('weapp')
    expect(() => platformOf('swan')).toThrow(/Unsupported platform \(TARO_ENV\): swan/)
  })
})

describe('per-platform APIs', () => {
  it('reads the appid from getAccountInfoSync (WeChat, QQ, Alipay)', async () => {
    for (const name of ['weapp', 'qq', 'alipay']) {
      taro.current = { getAccountInfoSync: () => ({ miniProgram: { appId: `${name}-app` } }) }
      const { currentAppid } = await platformModule(name)
      expect(currentAppid()).toBe(`${name}-app`)
    }
  })

  it("reads Douyin's appid from getEnvInfoSync (it has no getAccountInfoSync)", async () => {
    taro.current = { getEnvInfoSync: () => ({ microapp: { appId: 'tt0123456789abcdef' } }) }
    const { currentAppid } = await platformModule('tt')
    expect(currentAppid()).toBe('tt0123456789abcdef')
  })

  it("gives WeChat's privacy APIs to weapp and none to QQ, Douyin and Alipay", async () => {
    const onNeedPrivacyAuthorization = vi.fn()
    taro.current = { onNeedPrivacyAuthorization }
    const weapp = await platformModule('weapp')
    expect(weapp.privacyApis().onNeedPrivacyAuthorization).toBe(onNeedPrivacyAuthorization)
    for (const name of ['qq', 'tt', 'alipay']) {
      const other = await platformModule(name)
      expect(other.privacyApis()).toEqual({})
    }
  })

  it.each(['weapp', 'qq'] as const)(
    '%s logs in with Taro.login / Taro.checkSession',
    async (name) => {
      const login = vi.fn(async () => ({ code: `${name}-code`, errMsg: 'login:ok' }))
      taro.current = { login, checkSession: async () => ({ errMsg: 'checkSession:ok' }) }
      const { loginSource } = await platformModule(name)
      const source = loginSource()
      await expect(source.login()).resolves.toBe(`${name}-code`)
      await expect(source.checkSession?.()).resolves.toBe(true)
      expect(login).toHaveBeenCalledTimes(1)
    },
  )

  it("Douyin logs in with the tt global, never forcing Douyin's login window", async () => {
    const taroLogin = vi.fn()
    taro.current = { login: taroLogin }
    const tt = fakeTt({ code: 'tt-code', anonymousCode: 'tt-anon' })
    vi.stubGlobal('tt', tt)
    const { loginSource } = await platformModule('tt')
    const source = loginSource()
    await expect(source.login()).resolves.toEqual({ code: 'tt-code' })
    await expect(source.checkSession?.()).resolves.toBe(false)
    expect(tt.forces).toEqual([false])
    expect(taroLogin).not.toHaveBeenCalled()
  })

  it('Douyin without a logged-in Douyin user: the anonymousCode, flagged anonymous', async () => {
    vi.stubGlobal('tt', fakeTt({ anonymousCode: 'tt-anon' }))
    const { loginSource } = await platformModule('tt')
    await expect(loginSource().login()).resolves.toEqual({ code: 'tt-anon', anonymous: true })
  })

  it("Alipay logs in with my.getAuthCode's silent auth_base, and has no checkSession", async () => {
    const taroLogin = vi.fn()
    taro.current = { login: taroLogin, checkSession: vi.fn() }
    const scopes: unknown[] = []
    vi.stubGlobal('my', {
      getAuthCode(options: { scopes: unknown; success(result: object): void }) {
        scopes.push(options.scopes)
        options.success({ authCode: 'auth-code', authSuccessScopes: ['auth_base'] })
      },
    })
    const { loginSource } = await platformModule('alipay')
    const source = loginSource()
    expect(source.checkSession).toBeUndefined()
    await expect(source.login()).resolves.toBe('auth-code')
    expect(scopes).toEqual(['auth_base'])
    expect(taroLogin).not.toHaveBeenCalled()
  })

  it('the login source has a checkSession exactly where CAPABILITIES says so', async () => {
    taro.current = { login: vi.fn(), checkSession: vi.fn() }
    vi.stubGlobal('tt', fakeTt({ code: 'c' }))
    vi.stubGlobal('my', { getAuthCode: vi.fn() })
    for (const name of ['weapp', 'qq', 'tt', 'alipay'] as const) {
      const { loginSource, CAPABILITIES } = await platformModule(name)
      expect(typeof loginSource().checkSession === 'function').toBe(CAPABILITIES[name].checkSession)
    }
  })

  it('reports the platform with each login', async () => {
    taro.current = { getSystemInfoSync: () => ({ model: 'Pixel', system: 'Android 14' }) }
    const { clientInfo } = await platformModule('tt')
    expect(clientInfo()).toEqual({ platform: 'tt', model: 'Pixel', system: 'Android 14' })
  })
})
