/*
 * The production H5 build (dist-h5/) in Debian's Chromium, against the real API server
 * and the real WeChat simulator, as a person would use it: launch, profile edits, an
 * expired WeChat session, logging out everywhere, a validation error.
 *
 * dist-h5/ bakes TARO_APP_API_URL / TARO_APP_SIM_URL at build time; this test serves it
 * from a small static server that puts `window.__WXAPP_CONFIG__` (src/lib/env.ts) into
 * index.html, pointing the app at this run's ports. Every test opens its own browser
 * context (fresh storage) as its own simulated WeChat user, and counts the login codes
 * WeChat exchanged (the simulator's jscode2session statistics).
 *
 * Screenshots of each state go to <repo>/artifacts/screenshots/h5-*.png; with
 * UPDATE_SCREENSHOTS=1 the home page is also copied to docs/screenshots/home.png.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { type StaticServer, startStaticServer } from '@wxapp/testing'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { devZhCN } from '../../src/i18n/dev.zh-CN'
import { zhCN } from '../../src/i18n/zh-CN'
import { clearScreenshots, launchChromium, publishScreenshot, screenshot } from './browser'
import { gradientPng } from './png'
import { Cleanup, type Stack, startStack } from './stack'

const h5Dir = path.resolve(__dirname, '../../dist-h5')
const SIM_USER_KEY = 'wxapp.dev.simUser'
/** Waits for a state the app reaches by itself (a login, an upload) on a loaded machine. */
const STATE_TIMEOUT = 30_000

const cleanup = new Cleanup()
let stack: Stack
let site: StaticServer
let browser: Browser
/** What the static server writes into index.html; set once the API server is up. */
let runtimeConfig: Record<string, string> = {}

const contexts: BrowserContext[] = []
const openPages = new Map<string, Page>()
let pageErrors: string[] = []

beforeAll(async () => {
  if (
    !existsSync(path.join(h5Dir, 'index.html')) ||
    readdirSync(path.join(h5Dir, 'js')).some((file) => file.endsWith('.map'))
  ) {
    throw new Error(
      'dist-h5/ is missing or holds a development build: run `pnpm --filter @wxapp/miniprogram build:h5` first.',
    )
  }
  await clearScreenshots('h5-')
  site = await startStaticServer({
    root: h5Dir,
    headHtml: () =>
      `<script>window.__WXAPP_CONFIG__ = ${JSON.stringify(runtimeConfig).replace(/</g, '\\u003c')}</script>`,
  })
  cleanup.add('static server', () => site.stop())
  stack = await startStack(cleanup, { corsOrigins: [site.url] })
  runtimeConfig = { apiUrl: stack.api.url, simUrl: stack.sim.url, appid: stack.appid }
  browser = await launchChromium()
  cleanup.add('browser', () => browser.close())
})

afterEach(async ({ task }) => {
  // What a failed test's pages showed, before they close.
  if (task.result?.state === 'fail') {
    for (const [user, page] of openPages) {
      await screenshot(page, `h5-FAILED-${user}`).catch(() => {})
    }
    console.error(`static server, last requests:\n${site?.requests().slice(-10).join('\n')}`)
  }
  openPages.clear()
  for (const context of contexts.splice(0)) await context.close().catch(() => {})
  pageErrors = []
})

afterAll(() => cleanup.run())

/**
 * A fresh browser (own storage) as simulated WeChat user `user`, phone-sized, with the
 * app loaded. After a failed test, what the page showed is saved as a screenshot.
 * `privacyAgreed`: the user agreed to the privacy guide before (src/dev/privacy.ts's key).
 */
async function openApp(user: string, options: { privacyAgreed?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  })
  contexts.push(context)
  context.setDefaultTimeout(STATE_TIMEOUT)
  context.setDefaultNavigationTimeout(STATE_TIMEOUT)
  // The simulated WeChat user of this browser (src/dev/sim.ts reads it at login).
  await context.addInitScript({
    content: `localStorage.getItem(${JSON.stringify(SIM_USER_KEY)}) || localStorage.setItem(${JSON.stringify(SIM_USER_KEY)}, ${JSON.stringify(user)})`,
  })
  if (options.privacyAgreed) {
    const key = `wxapp.dev.simPrivacy.${stack.appid}.${user}`
    await context.addInitScript({
      content: `localStorage.setItem(${JSON.stringify(key)}, 'agreed')`,
    })
  }
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`))
  openPages.set(user, page)
  await page.goto(site.url)
  return page
}

/** Waits for the home page's logged-in card. */
async function homeReady(page: Page): Promise<void> {
  await page.locator('#home-user').waitFor({ state: 'visible', timeout: STATE_TIMEOUT })
}

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? '').trim()

/** The `src` of the first <img> inside `selector` (Taro's Image renders one). */
const imageSrc = (page: Page, selector: string) =>
  page
    .locator(`${selector} img`)
    .first()
    .getAttribute('src', { timeout: 1000 })
    .catch(() => null)

/** Whether the first <img> inside `selector` has loaded and decoded. */
const imageLoaded = (page: Page, selector: string) =>
  page
    .locator(`${selector} img`)
    .first()
    .evaluate((img) => {
      const image = img as unknown as { complete: boolean; naturalWidth: number }
      return image.complete && image.naturalWidth > 0
    })
    .catch(() => false)

/** Waits until no toast (Taro.showToast, 1.5 s) covers the page, for a clean screenshot. */
async function toastsGone(page: Page): Promise<void> {
  // Taro's toast box is fixed-positioned inside .taro__toast, which is display:none once hidden.
  const hidden = `[...document.querySelectorAll('.taro__toast')].every(
    (toast) => getComputedStyle(toast).display === 'none'
  )`
  await expect.poll(() => page.evaluate(hidden), { timeout: STATE_TIMEOUT }).toBe(true)
}

async function switchTab(page: Page, label: string): Promise<void> {
  await page.locator('.weui-tabbar__item', { hasText: label }).click()
}

describe('H5 preview in Chromium, real API server and WeChat simulator', () => {
  it('first launch: logs in through WeChat (one code exchanged) and shows the user', async () => {
    const before = await stack.codesExchanged()
    // WeChat answers slowly this once, so the loading state stays long enough to see.
    await stack.control.faults({ path: '/sns/jscode2session', delayMs: 3000, count: 1 })
    const page = await openApp('h5-first')

    await page.locator('#home-loading').waitFor({ state: 'visible' })
    expect(await text(page, '#home-loading')).toContain(zhCN.common.loggingIn)
    await screenshot(page, 'h5-01-home-loading')

    await homeReady(page)
    expect(await text(page, '#home-nickname')).toBe(zhCN.common.defaultNickname)
    expect(await text(page, '#home-status')).toBe(zhCN.home.loggedInBadge)
    expect(await stack.codesExchanged()).toBe(before + 1)
    await screenshot(page, 'h5-02-home-logged-in')

    // The simulator panel says the same, and who the simulated WeChat user is.
    await page.locator('#dev-panel-toggle').click()
    await page.locator('#dev-panel').waitFor({ state: 'visible' })
    expect(await text(page, '#dev-sim-user')).toBe('h5-first')
    expect(await text(page, '#dev-login-status')).toBe(devZhCN.statusReady)
    await screenshot(page, 'h5-03-dev-panel')
    expect(pageErrors).toEqual([])
  })

  it('profile: nickname and avatar saved, kept after a reload that exchanges no new code', async () => {
    // Agreed to the privacy guide earlier (the privacy flow has its own tests below).
    const page = await openApp('h5-profile', { privacyAgreed: true })
    await homeReady(page)
    const codes = await stack.codesExchanged()

    await page.locator('#home-edit-profile').click()
    const input = page.locator('#nickname-input input')
    await input.waitFor({ state: 'visible' })
    await input.fill('小程序测试员')
    await page.locator('#profile-save').click()
    // Saved: every page shows the new nickname (one store), the button rests.
    await expect
      .poll(() => text(page, '#home-nickname'), { timeout: STATE_TIMEOUT })
      .toBe('小程序测试员')
    await expect
      .poll(() => page.locator('#profile-save').getAttribute('disabled'), {
        timeout: STATE_TIMEOUT,
      })
      .not.toBeNull()

    // H5 has no chooseAvatar button: the avatar is picked with a file chooser.
    const chooser = page.waitForEvent('filechooser')
    await page.locator('#profile-avatar').click()
    await (await chooser).setFiles({
      name: 'avatar.png',
      mimeType: 'image/png',
      buffer: gradientPng(),
    })
    await expect
      .poll(() => imageSrc(page, '#profile-avatar'), { timeout: STATE_TIMEOUT })
      .toMatch(new RegExp(`^${stack.api.url}/uploads/avatars/[0-9a-f]{64}\\.png$`))
    const avatarUrl = await imageSrc(page, '#profile-avatar')
    await expect.poll(() => imageLoaded(page, '#profile-avatar')).toBe(true)
    expect(await page.locator('#avatar-error').count()).toBe(0)
    await toastsGone(page)
    await screenshot(page, 'h5-04-profile-edited')

    // A relaunch (on the profile page, where the browser was): the stored token and a
    // valid WeChat session, no new code.
    await page.reload()
    await expect
      .poll(() => input.inputValue().catch(() => ''), { timeout: STATE_TIMEOUT })
      .toBe('小程序测试员')
    await expect.poll(() => imageSrc(page, '#profile-avatar')).toBe(avatarUrl)
    await switchTab(page, zhCN.tabs.home)
    await homeReady(page)
    expect(await text(page, '#home-nickname')).toBe('小程序测试员')
    await expect.poll(() => imageSrc(page, '#home-avatar')).toBe(avatarUrl)
    await expect.poll(() => imageLoaded(page, '#home-avatar')).toBe(true)
    expect(await stack.codesExchanged()).toBe(codes)
    const home = await screenshot(page, 'h5-05-home-after-reload')
    await publishScreenshot(home, 'home')
    expect(pageErrors).toEqual([])
  })

  it('WeChat session expired: the next launch logs in again by itself, as the same user', async () => {
    // The same WeChat user on another device names the account: the browser must land on it.
    const other = await stack.loginAs('h5-expire')
    await stack.client(other).user.updateProfile.mutate({ nickname: '过期测试用户' })
    const page = await openApp('h5-expire')
    await homeReady(page)
    expect(await text(page, '#home-nickname')).toBe('过期测试用户')
    const codes = await stack.codesExchanged()

    await page.locator('#dev-panel-toggle').click()
    await page.locator('#dev-expire-session').click()
    await page.locator('#dev-relaunch').waitFor({ state: 'visible' })
    expect(await text(page, '#dev-notice')).toBe(devZhCN.expired)
    await screenshot(page, 'h5-06-dev-panel-session-expired')

    // The relaunch's wx.checkSession fails: the app logs in again without asking.
    await Promise.all([page.waitForEvent('load'), page.locator('#dev-relaunch').click()])
    await homeReady(page)
    expect(await text(page, '#home-nickname')).toBe('过期测试用户')
    expect(await stack.codesExchanged()).toBe(codes + 1)
    await screenshot(page, 'h5-07-home-after-expiry')
    expect(pageErrors).toEqual([])
  })

  it('log out everywhere: every session ends, the next launch logs in fresh', async () => {
    const other = await stack.loginAs('h5-logout')
    const page = await openApp('h5-logout')
    await homeReady(page)

    await page.locator('#home-devices').click()
    await page.locator('#sessions-list').waitFor({ state: 'visible' })
    // This browser (本机) and the other device.
    await expect.poll(() => page.locator('#sessions-list .session').count()).toBe(2)
    expect(await page.locator('#sessions-list .session--current').count()).toBe(1)
    await screenshot(page, 'h5-08-sessions')

    await page.locator('#sessions-logout-all').click()
    const confirm = page.locator('.taro-modal__foot', {
      hasText: zhCN.sessions.logoutAllConfirmButton,
    })
    await confirm.waitFor({ state: 'visible' })
    await screenshot(page, 'h5-09-logout-all-confirm')
    await confirm.getByText(zhCN.sessions.logoutAllConfirmButton, { exact: true }).click()

    await page.locator('#sessions-logged-out').waitFor({ state: 'visible' })
    await switchTab(page, zhCN.tabs.home)
    await page.locator('#home-logged-out').waitFor({ state: 'visible' })
    await toastsGone(page)
    await screenshot(page, 'h5-10-home-logged-out')
    // The other device's session ended too.
    await expect(stack.client(other).user.me.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' },
    })

    // The next launch has no token: it logs in with a new code.
    const codes = await stack.codesExchanged()
    await page.reload()
    await homeReady(page)
    expect(await stack.codesExchanged()).toBe(codes + 1)
    expect(pageErrors).toEqual([])
  })

  it("nickname of 65 characters: the server's verdict is shown next to the field", async () => {
    const page = await openApp('h5-invalid', { privacyAgreed: true })
    await homeReady(page)
    await page.locator('#home-edit-profile').click()
    const input = page.locator('#nickname-input input')
    await input.waitFor({ state: 'visible' })

    await input.fill('长'.repeat(65))
    await page.locator('#profile-save').click()
    await page.locator('#nickname-error').waitFor({ state: 'visible' })
    expect(await text(page, '#nickname-error')).toBe(zhCN.fieldErrors.nicknameTooLong)
    expect(await page.locator('#nickname-input').getAttribute('class')).toContain(
      'profile-form__input--error',
    )
    expect(await page.locator('#profile-error').count()).toBe(0)
    await screenshot(page, 'h5-11-nickname-error')
    // Nothing was saved.
    expect(await text(page, '#home-nickname')).toBe(zhCN.common.defaultNickname)

    // 64 is the limit: accepted, and typing clears the error.
    await input.fill('长'.repeat(64))
    expect(await page.locator('#nickname-error').count()).toBe(0)
    await page.locator('#profile-save').click()
    await expect
      .poll(() => text(page, '#home-nickname'), { timeout: STATE_TIMEOUT })
      .toBe('长'.repeat(64))
    expect(pageErrors).toEqual([])
  })
  it('content security: words set in the dev panel make the simulated WeChat refuse a nickname, and the app says why', async () => {
    const page = await openApp('h5-content', { privacyAgreed: true })
    await homeReady(page)
    await page.locator('#dev-panel-toggle').click()
    await page.locator('#dev-risky-words input').fill('赌博, 诈骗')
    await page.locator('#dev-save-content-rules').click()
    await expect
      .poll(() => text(page, '#dev-notice'), { timeout: STATE_TIMEOUT })
      .toBe(devZhCN.contentRulesSaved)
    expect((await stack.control.contentRules()).text.risky).toEqual(['赌博', '诈骗'])
    await page.locator('#dev-panel-close').click()

    try {
      await page.locator('#home-edit-profile').click()
      const input = page.locator('#nickname-input input')
      await input.waitFor({ state: 'visible' })
      await input.fill('我爱赌博')
      await page.locator('#profile-save').click()
      await page.locator('#profile-error').waitFor({ state: 'visible' })
      expect(await text(page, '#profile-error')).toBe(zhCN.errors.CONTENT_RISKY)
      // Nothing was saved.
      expect(await text(page, '#home-nickname')).toBe(zhCN.common.defaultNickname)
      await input.fill('我爱读书')
      await page.locator('#profile-save').click()
      await expect
        .poll(() => text(page, '#home-nickname'), { timeout: STATE_TIMEOUT })
        .toBe('我爱读书')
    } finally {
      await stack.control.setContentRules({
        text: { risky: [], review: [] },
        images: { risky: [], review: [] },
      })
    }
    expect(pageErrors).toEqual([])
  })
})

describe('H5 preview: privacy authorization (the stand-in plays onNeedPrivacyAuthorization)', () => {
  const sheet = (page: Page) => page.locator('#privacy-sheet')
  /** Whether a toast with this title is on screen (Taro's toast box is fixed inside a
   * zero-sized .taro__toast, so Playwright's visibility does not apply). */
  const toastShown = (page: Page, title: string) =>
    page.evaluate(`[...document.querySelectorAll('.taro__toast')].some(
      (toast) => getComputedStyle(toast).display !== 'none' &&
        toast.textContent.includes(${JSON.stringify(title)})
    )`)

  async function openProfile(page: Page): Promise<void> {
    await homeReady(page)
    await page.locator('#home-edit-profile').click()
    await page.locator('#nickname-input input').waitFor({ state: 'visible' })
  }

  it('decline: the sheet names the guide, the avatar and phone actions do not happen, a toast explains, the next attempt asks again', async () => {
    const page = await openApp('h5-privacy-decline')
    await openProfile(page)
    let choosers = 0
    page.on('filechooser', () => choosers++)
    expect(await sheet(page).count()).toBe(0)

    await page.locator('#profile-avatar').click()
    await sheet(page).waitFor({ state: 'visible' })
    await expect.poll(() => text(page, '#privacy-contract')).toBe(devZhCN.privacyContractName)
    expect(await text(page, '#privacy-sheet')).toContain(zhCN.privacy.title)
    await screenshot(page, 'h5-12-privacy-sheet')

    // The guide link opens the stand-in's page (WeChat's own page on a phone).
    await page.locator('#privacy-contract').click()
    const modal = page.locator('.taro-modal__foot', { hasText: devZhCN.close })
    await modal.waitFor({ state: 'visible' })
    await modal.getByText(devZhCN.close, { exact: true }).click()
    await modal.waitFor({ state: 'hidden' })

    await page.locator('#privacy-disagree').click()
    await sheet(page).waitFor({ state: 'detached' })
    await expect.poll(() => toastShown(page, zhCN.privacy.declined)).toBe(true)
    await screenshot(page, 'h5-13-privacy-declined')
    expect(choosers).toBe(0)
    expect(await page.locator('#avatar-uploading').count()).toBe(0)

    // Asked again on the next attempt, here the phone; declined again: nothing bound.
    await page.locator('#bind-phone').click()
    await sheet(page).waitFor({ state: 'visible' })
    await page.locator('#privacy-disagree').click()
    await sheet(page).waitFor({ state: 'detached' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await text(page, '#profile-phone')).toBe(zhCN.profile.phoneUnbound)
    expect(await page.locator('#phone-message').count()).toBe(0)

    // The nickname field too: it does not keep the focus behind the sheet.
    await page.locator('#nickname-input input').click()
    await sheet(page).waitFor({ state: 'visible' })
    await page.locator('#privacy-disagree').click()
    await sheet(page).waitFor({ state: 'detached' })
    expect(
      await page.locator('#nickname-input input').evaluate((input) => {
        const doc = (globalThis as unknown as { document: { activeElement: unknown } }).document
        return doc.activeElement === input
      }),
    ).toBe(false)

    // The rest of the app works.
    await switchTab(page, zhCN.tabs.sessions)
    await page.locator('#sessions-list').waitFor({ state: 'visible' })
    await switchTab(page, zhCN.tabs.home)
    expect(await text(page, '#home-nickname')).toBe(zhCN.common.defaultNickname)
    expect(choosers).toBe(0)
    expect(pageErrors).toEqual([])
  })

  it('agree: the nickname goes through; later the avatar and the phone ask no more, also after a reload; the dev panel resets the consent', async () => {
    const page = await openApp('h5-privacy-agree')
    await openProfile(page)
    const input = page.locator('#nickname-input input')

    await input.click()
    await sheet(page).waitFor({ state: 'visible' })
    await page.locator('#privacy-agree').click()
    await sheet(page).waitFor({ state: 'detached' })
    // As WeChat does, the field the user tapped gets its focus (keyboard) back.
    await expect
      .poll(() =>
        input.evaluate((element) => {
          const doc = (globalThis as unknown as { document: { activeElement: unknown } }).document
          return doc.activeElement === element
        }),
      )
      .toBe(true)
    await input.fill('隐私已同意')
    await page.locator('#profile-save').click()
    await expect
      .poll(() => text(page, '#home-nickname'), { timeout: STATE_TIMEOUT })
      .toBe('隐私已同意')

    // A later action: the file chooser opens at once, no second sheet.
    const chooser = page.waitForEvent('filechooser')
    await page.locator('#profile-avatar').click()
    await (await chooser).setFiles({
      name: 'avatar.png',
      mimeType: 'image/png',
      buffer: gradientPng(),
    })
    await expect
      .poll(() => imageSrc(page, '#profile-avatar'), { timeout: STATE_TIMEOUT })
      .toMatch(new RegExp(`^${stack.api.url}/uploads/avatars/`))
    expect(await sheet(page).count()).toBe(0)

    // Remembered for this simulated user after a reload: the phone binds without asking.
    await page.reload()
    await page.locator('#bind-phone').waitFor({ state: 'visible' })
    await page.locator('#bind-phone').click()
    await expect
      .poll(() => text(page, '#phone-message'), { timeout: STATE_TIMEOUT })
      .toBe(zhCN.profile.phoneBound)
    expect(await sheet(page).count()).toBe(0)

    // The dev panel shows the consent and resets it: the next action asks again.
    await page.locator('#dev-panel-toggle').click()
    await page.locator('#dev-panel').waitFor({ state: 'visible' })
    expect(await text(page, '#dev-privacy-status')).toBe(devZhCN.privacyAgreed)
    await page.locator('#dev-reset-privacy').click()
    expect(await text(page, '#dev-notice')).toBe(devZhCN.privacyReset)
    expect(await text(page, '#dev-privacy-status')).toBe(devZhCN.privacyNotAgreed)
    await screenshot(page, 'h5-14-dev-panel-privacy-reset')
    await page.locator('#dev-panel-close').click()
    // Asked again; agreeing goes on with the avatar picker (the agree tap is the browser's
    // user activation that lets the file chooser open).
    await page.locator('#profile-avatar').click()
    await sheet(page).waitFor({ state: 'visible' })
    const chooserAfterAgree = page.waitForEvent('filechooser')
    await page.locator('#privacy-agree').click()
    await sheet(page).waitFor({ state: 'detached' })
    await (await chooserAfterAgree).setFiles([])
    expect(pageErrors).toEqual([])
  })
})

describe('H5 preview: account deletion (注销账号)', () => {
  it('cancel leaves everything; confirm deletes the account: logged out, the next login is a new, empty user', async () => {
    const USER = 'h5-delete'
    const page = await openApp(USER, { privacyAgreed: true })
    await homeReady(page)
    await page.locator('#home-edit-profile').click()
    const input = page.locator('#nickname-input input')
    await input.waitFor({ state: 'visible' })
    await input.fill('将被注销')
    await page.locator('#profile-save').click()
    await expect
      .poll(() => text(page, '#home-nickname'), { timeout: STATE_TIMEOUT })
      .toBe('将被注销')
    // The same WeChat user on another device: its session goes with the account.
    const other = await stack.loginAs(USER)
    const before = await stack.client(other).user.me.query()
    expect(before.nickname).toBe('将被注销')

    const modal = page.locator('.taro-modal__foot', {
      hasText: zhCN.profile.deleteAccountConfirmButton,
    })
    // Cancel: nothing happens.
    await toastsGone(page)
    await page.locator('#profile-delete-account').click()
    await modal.waitFor({ state: 'visible' })
    expect(await text(page, '.taro-modal__content')).toContain(zhCN.profile.deleteAccountConfirm)
    await screenshot(page, 'h5-15-delete-account-confirm')
    await modal.getByText(zhCN.common.cancel, { exact: true }).click()
    await modal.waitFor({ state: 'hidden' })
    expect(await input.inputValue()).toBe('将被注销')
    expect((await stack.client(other).user.me.query()).id).toBe(before.id)

    // Confirm: deleted, this device is logged out (no auth.logout: the token is refused).
    await page.locator('#profile-delete-account').click()
    await modal.waitFor({ state: 'visible' })
    await modal.getByText(zhCN.profile.deleteAccountConfirmButton, { exact: true }).click()
    await page.locator('#profile-logged-out').waitFor({ state: 'visible' })
    expect(await page.locator('#delete-account-error').count()).toBe(0)
    await switchTab(page, zhCN.tabs.home)
    await page.locator('#home-logged-out').waitFor({ state: 'visible' })
    await expect(stack.client(other).user.me.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    })
    await toastsGone(page)
    await screenshot(page, 'h5-16-account-deleted')

    // The next login of the same WeChat user: a new user, with an empty profile.
    await page.locator('#home-login').click()
    await homeReady(page)
    expect(await text(page, '#home-nickname')).toBe(zhCN.common.defaultNickname)
    await switchTab(page, zhCN.tabs.profile)
    await expect.poll(() => input.inputValue(), { timeout: STATE_TIMEOUT }).toBe('')
    const after = await stack.client(await stack.loginAs(USER)).user.me.query()
    expect(after.id).not.toBe(before.id)
    expect(after.nickname).toBeNull()
    expect(after.avatarUrl).toBeNull()
    expect(pageErrors).toEqual([])
  })
})
