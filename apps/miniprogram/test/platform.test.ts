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
  taro.current = {}
})

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

  it('Alipay without checkSession: the login source says the session is not known valid', async () => {
    taro.current = { login: async () => ({ code: 'auth-code', errMsg: 'getAuthCode:ok' }) }
    const { loginSource } = await platformModule('alipay')
    const source = loginSource()
    await expect(source.checkSession()).resolves.toBe(false)
    await expect(source.login()).resolves.toBe('auth-code')
  })

  it('reports the platform with each login', async () => {
    taro.current = { getSystemInfoSync: () => ({ model: 'Pixel', system: 'Android 14' }) }
    const { clientInfo } = await platformModule('tt')
    expect(clientInfo()).toEqual({ platform: 'tt', model: 'Pixel', system: 'Android 14' })
  })
})
