/*
 * The production weapp build (dist/) rendered by miniprogram-simulate with the official
 * wcc compiler (test/helpers/weapp-simulate.ts), logging in against the real API server
 * and the real WeChat simulator: wx.login and wx.checkSession come from the simulator,
 * wx.request goes over HTTP to the server (the bundle's built-in API origin rewritten to
 * this run's port). A relaunch keeps the wx storage, as a phone does.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { workspaceRoot } from '@wxapp/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { zhCN } from '../../src/i18n/zh-CN'
import {
  disposeWeappSimulate,
  FakePrivacy,
  launchWeapp,
  type RenderedPage,
  type WeappLaunch,
} from '../helpers/weapp-simulate'
import { Cleanup, type Stack, startStack } from './stack'

const distDir = path.resolve(__dirname, '../../dist')
/** What `pnpm build` bakes in unless TARO_APP_API_URL says otherwise (config/index.ts). */
const BUILT_API_URL = process.env.TARO_APP_API_URL || 'http://127.0.0.1:3000'
const SESSION_KEY = 'wxapp.session'
const USER = 'weapp-user'
const NICKNAME = '小程序用户甲'
const RENDER_TIMEOUT = 30_000

const cleanup = new Cleanup()
let stack: Stack
/** The phone's wx storage, kept from one launch to the next. */
const storage = new Map<string, unknown>()
const pages: RenderedPage[] = []

beforeAll(async () => {
  if (!existsSync(path.join(distDir, 'app.js')) || existsSync(path.join(distDir, 'app.js.map'))) {
    throw new Error(
      'dist/ is missing or holds a development build: run `pnpm --filter @wxapp/miniprogram build:weapp` first.',
    )
  }
  cleanup.add('private wcc', async () => disposeWeappSimulate())
  stack = await startStack(cleanup)
  // The account already has a nickname (set from another device): the page must show it.
  const token = await stack.loginAs(USER)
  await stack.client(token).user.updateProfile.mutate({ nickname: NICKNAME })
})

afterEach(() => {
  for (const page of pages.splice(0)) page.close()
})

afterAll(() => cleanup.run())

function launch(
  phone: { user: string; storage: Map<string, unknown>; privacy?: FakePrivacy } = {
    user: USER,
    storage,
  },
): WeappLaunch {
  return launchWeapp({
    distDir,
    builtApiUrl: BUILT_API_URL,
    apiUrl: stack.api.url,
    simUrl: stack.sim.url,
    appid: stack.appid,
    ...phone,
  })
}

/** Opens the home page and waits until it shows the logged-in user. */
async function openHome(app: WeappLaunch): Promise<RenderedPage> {
  const home = app.openPage('pages/index/index')
  pages.push(home)
  await vi.waitFor(
    () => {
      if (app.errors.length > 0) throw new Error(`app error: ${String(app.errors[0])}`)
      if (app.rejected.length > 0) {
        throw new Error(
          `the bundle called ${app.rejected[0]}, not ${BUILT_API_URL}: was dist/ built with another TARO_APP_API_URL? Set the same one for the test.`,
        )
      }
      expect(home.textOf('home-nickname')).toBe(NICKNAME)
    },
    { timeout: RENDER_TIMEOUT, interval: 50 },
  )
  return home
}

const trpcPaths = (app: WeappLaunch) =>
  app.requests.map((url) => new URL(url).pathname.replace(/^\/trpc\//, ''))

describe('weapp build in miniprogram-simulate, real API server and WeChat simulator', () => {
  it('launch: logs in through wx.login (one code exchanged) and renders the user in wx-view / wx-text', async () => {
    const before = await stack.codesExchanged()
    const app = launch()
    const home = await openHome(app)

    expect(await stack.codesExchanged()).toBe(before + 1)
    expect(app.calls.login).toBe(1)
    expect(trpcPaths(app)).toEqual(['auth.login'])
    expect(
      app.requests.every((url) => url.startsWith(`${BUILT_API_URL.replace(/\/+$/, '')}/trpc/`)),
    ).toBe(true)
    expect(storage.has(SESSION_KEY)).toBe(true)

    // Rendered by WeChat's template engine: real wx-* elements, Taro's ids.
    expect(home.byId('home-nickname')?.tagName).toBe('WX-TEXT')
    expect(home.byId('home-user')?.tagName).toBe('WX-VIEW')
    expect(home.textOf('home-status')).toBe(zhCN.home.loggedInBadge)
    expect(home.root.dom.querySelectorAll('wx-view').length).toBeGreaterThan(5)
    expect(home.root.dom.textContent).toContain(zhCN.home.greeting)

    const dir = path.join(workspaceRoot, 'artifacts', 'weapp-simulate')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'home.html'), home.root.dom.outerHTML)
  })

  it('relaunch with the same storage: logs in warm (checkSession, user.me), no new code', async () => {
    const before = await stack.codesExchanged()
    const app = launch()
    await openHome(app)

    expect(await stack.codesExchanged()).toBe(before)
    expect(app.calls.login ?? 0).toBe(0)
    expect(app.calls.checkSession).toBe(1)
    expect(trpcPaths(app)).toEqual(['user.me'])
  })

  it('relaunch after WeChat expired the session: checkSession fails, one new code, same user', async () => {
    await stack.control.expireSession({ appid: stack.appid, user: USER })
    const before = await stack.codesExchanged()
    const app = launch()
    await openHome(app)

    expect(await stack.codesExchanged()).toBe(before + 1)
    expect(app.calls.checkSession).toBe(1)
    expect(app.calls.login).toBe(1)
    expect(trpcPaths(app)).toEqual(['auth.login'])
  })
})

describe('weapp build: privacy authorization (onNeedPrivacyAuthorization and our sheet)', () => {
  const PRIVACY_USER = 'weapp-privacy-user'
  const CONTRACT = '《起步小程序用户隐私保护指引》'
  const phone = {
    user: PRIVACY_USER,
    storage: new Map<string, unknown>(),
    privacy: new FakePrivacy(CONTRACT),
  }

  /** Opens the profile page and waits until it shows the logged-in form. */
  async function openProfile(app: WeappLaunch): Promise<RenderedPage> {
    const profile = app.openPage('pages/profile/index')
    pages.push(profile)
    await vi.waitFor(
      () => {
        if (app.errors.length > 0) throw new Error(`app error: ${String(app.errors[0])}`)
        expect(profile.byId('nickname-input')).not.toBeNull()
      },
      { timeout: RENDER_TIMEOUT, interval: 50 },
    )
    return profile
  }

  async function sheetShown(profile: RenderedPage): Promise<void> {
    await vi.waitFor(
      () => {
        expect(profile.textOf('privacy-sheet')).toContain(CONTRACT)
      },
      { timeout: RENDER_TIMEOUT, interval: 20 },
    )
  }

  async function sheetGone(profile: RenderedPage): Promise<void> {
    await vi.waitFor(() => expect(profile.byId('privacy-sheet')).toBeNull(), {
      timeout: RENDER_TIMEOUT,
      interval: 20,
    })
  }

  it('registers one listener at launch; a privacy API before agreement shows the sheet with the guide name; decline resolves disagree, the API fails, a toast explains', async () => {
    const app = launch(phone)
    const profile = await openProfile(app)
    expect(app.calls.onNeedPrivacyAuthorization).toBe(1)
    expect(profile.byId('privacy-sheet')).toBeNull()

    // The user taps the chooseAvatar button: WeChat asks the app's listener first.
    const avatar = app.privacy.use('chooseAvatar')
    await sheetShown(profile)
    expect(profile.byId('privacy-sheet')?.tagName).toBe('WX-VIEW')
    expect(profile.textOf('privacy-contract')).toBe(CONTRACT)
    expect(profile.byId('privacy-agree')?.tagName).toBe('WX-BUTTON')
    // The sheet told WeChat it is on screen, and has not answered yet.
    expect(app.privacy.resolves).toEqual([{ event: 'exposureAuthorization' }])

    // The guide link opens WeChat's page.
    profile.trigger('privacy-contract', 'tap')
    await vi.waitFor(() => expect(app.privacy.contractOpened).toBe(1))

    profile.trigger('privacy-disagree', 'tap')
    expect(await avatar).toBe(false)
    expect(app.privacy.resolves.at(-1)).toEqual({ event: 'disagree' })
    expect(app.privacy.agreed).toBe(false)
    await sheetGone(profile)
    await vi.waitFor(() => expect(app.toasts).toContain(zhCN.privacy.declined))
    // Still usable: the profile page is there, no error.
    expect(profile.byId('nickname-input')).not.toBeNull()
    expect(app.errors).toEqual([])
  })

  it('agree: resolve gets { event: agree, buttonId } of the agreePrivacyAuthorization button, the API goes on and the nickname is saved', async () => {
    const app = launch(phone)
    const profile = await openProfile(app)

    // Declined before: the next use asks again.
    const nickname = app.privacy.use('input type=nickname')
    await sheetShown(profile)
    // A plain tap is not the agreement: the app answers from the button's
    // agreeprivacyauthorization event (open-type="agreePrivacyAuthorization").
    const before = app.privacy.resolves.length
    profile.trigger('privacy-agree', 'tap')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(app.privacy.resolves.length).toBe(before)
    profile.trigger('privacy-agree', 'agreeprivacyauthorization')
    expect(await nickname).toBe(true)
    expect(app.privacy.resolves.at(-1)).toEqual({ event: 'agree', buttonId: 'privacy-agree' })
    expect(app.privacy.agreed).toBe(true)
    await sheetGone(profile)

    // The action goes through: type a nickname and save it.
    profile.trigger('nickname-input', 'input', { value: '隐私已同意' })
    await vi.waitFor(() =>
      expect(profile.byId('profile-save')?.outerHTML).not.toContain('is-disabled'),
    )
    profile.trigger('profile-save', 'tap')
    await vi.waitFor(() => expect(app.toasts).toContain(zhCN.common.saved), {
      timeout: RENDER_TIMEOUT,
    })
    const token = await stack.loginAs(PRIVACY_USER)
    expect((await stack.client(token).user.me.query()).nickname).toBe('隐私已同意')
    expect(app.errors).toEqual([])
  })

  it('after agreeing, a later privacy API (also after a relaunch) goes on without a second sheet', async () => {
    const app = launch(phone)
    const profile = await openProfile(app)
    const asked = app.privacy.asked
    const resolves = app.privacy.resolves.length

    expect(await app.privacy.use('getPhoneNumber')).toBe(true)
    expect(await app.privacy.use('chooseAvatar')).toBe(true)
    expect(app.privacy.asked).toBe(asked)
    expect(app.privacy.resolves.length).toBe(resolves)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(profile.byId('privacy-sheet')).toBeNull()
  })
})
