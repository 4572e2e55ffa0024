/*
 * Debian's Chromium driven by playwright-core (never a downloaded browser), and the
 * screenshots the browser tests leave as artifacts.
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { workspaceRoot } from '@wxapp/testing'
import { type Browser, chromium, type Page } from 'playwright-core'

/** Debian's Chromium (never a downloaded browser); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/**
 * Headless Chromium. Playwright gives every launch a fresh temporary profile
 * (user-data dir), removed on close; every test opens its own context on top.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium and a CJK font ` +
        '(apt-get install chromium fonts-wqy-microhei; .ci/run does). Never download a browser.',
    )
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** `<repo>/artifacts/screenshots/` (gitignored): every screenshot of a run. */
export const SCREENSHOT_DIR = path.join(workspaceRoot, 'artifacts', 'screenshots')

/** Screenshots kept in the repository (the README shows them); written only on request. */
export const DOC_SCREENSHOT_DIR = path.join(workspaceRoot, 'docs', 'screenshots')

/** Removes a previous run's screenshots named `<prefix>…` (a stale FAILED one, say). */
export async function clearScreenshots(prefix: string): Promise<void> {
  const files = await readdir(SCREENSHOT_DIR).catch(() => [])
  for (const file of files) {
    if (file.startsWith(prefix) && file.endsWith('.png')) {
      await rm(path.join(SCREENSHOT_DIR, file), { force: true })
    }
  }
}

/** Saves the page (the phone-sized viewport) as artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  // Fonts and images settle before the picture is taken.
  await page.evaluate('document.fonts.ready.then(() => true)')
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' })
  return file
}

/**
 * Copies an artifact screenshot to docs/screenshots/<name>.png when UPDATE_SCREENSHOTS=1,
 * so the committed picture changes only when someone asks for it.
 */
export async function publishScreenshot(file: string, name: string): Promise<boolean> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return false
  await mkdir(DOC_SCREENSHOT_DIR, { recursive: true })
  await copyFile(file, path.join(DOC_SCREENSHOT_DIR, `${name}.png`))
  return true
}
