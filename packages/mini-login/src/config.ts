/**
 * The login clients' configuration from the environment, checked with zod.
 * Errors name the variable and what is wrong, never a secret or key.
 */
import { z } from 'zod'
import { ALIPAY_GATEWAY } from './alipay'
import { type ParsedPrivateKey, parsePrivateKey, parsePublicKeyPem } from './keys'
import { QQ_API_BASE } from './qq'
import { TT_API_BASE } from './tt'

export interface AppSecret {
  appid: string
  secret: string
}

const APPID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * `appid:secret,appid:secret` (QQ_APPS, TT_APPS): blanks around entries are
 * ignored, an empty value is no apps. Duplicate appids are refused.
 */
export const AppSecrets = z
  .string()
  .default('')
  .transform((value, ctx): AppSecret[] => {
    const apps: AppSecret[] = []
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
    for (const [i, entry] of entries.entries()) {
      const colon = entry.indexOf(':')
      const appid = colon === -1 ? '' : entry.slice(0, colon).trim()
      const secret = colon === -1 ? '' : entry.slice(colon + 1).trim()
      if (!APPID.test(appid) || secret.length === 0) {
        // The entry's position, not its text: the text holds the secret.
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} must be appid:secret` })
        continue
      }
      if (apps.some((a) => a.appid === appid)) {
        ctx.addIssue({ code: 'custom', message: `appid ${appid} appears twice` })
        continue
      }
      apps.push({ appid, secret })
    }
    return apps
  })

const Url = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .transform((v) => v || fallback)

const PrivateKey = z.string().transform((value, ctx): ParsedPrivateKey => {
  const key = parsePrivateKey(value)
  if (!key) {
    ctx.addIssue({ code: 'custom', message: 'must be an RSA private key (PEM or base64)' })
    return z.NEVER
  }
  return key
})

const PublicKey = z.string().transform((value, ctx): string => {
  const pem = parsePublicKeyPem(value)
  if (!pem) {
    ctx.addIssue({ code: 'custom', message: 'must be an RSA public key (PEM or base64)' })
    return z.NEVER
  }
  return pem
})

const Env = z
  .object({
    QQ_APPS: AppSecrets,
    QQ_API_BASE: Url(QQ_API_BASE),
    TT_APPS: AppSecrets,
    TT_API_BASE: Url(TT_API_BASE),
    ALIPAY_APPID: z
      .string()
      .regex(/^\d{1,32}$/, 'must be the app id (digits)')
      .optional(),
    ALIPAY_PRIVATE_KEY: PrivateKey.optional(),
    ALIPAY_PUBLIC_KEY: PublicKey.optional(),
    ALIPAY_GATEWAY: Url(ALIPAY_GATEWAY),
  })
  .superRefine((env, ctx) => {
    // Alipay is all or nothing: an appid without its keys is a mistake, not "off".
    const set = [env.ALIPAY_APPID, env.ALIPAY_PRIVATE_KEY, env.ALIPAY_PUBLIC_KEY].filter(
      (v) => v !== undefined,
    ).length
    if (set !== 0 && set !== 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['ALIPAY_APPID'],
        message: 'ALIPAY_APPID, ALIPAY_PRIVATE_KEY and ALIPAY_PUBLIC_KEY go together',
      })
    }
  })

export interface MiniLoginConfig {
  qq: { apps: AppSecret[]; baseUrl: string }
  tt: { apps: AppSecret[]; baseUrl: string }
  /** Null when Alipay is not configured. */
  alipay: {
    appid: string
    privateKey: string
    keyType: ParsedPrivateKey['keyType']
    alipayPublicKey: string
    gateway: string
  } | null
}

/** Empty strings count as unset (an empty line in .env). */
function present(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v
  return out
}

/** What is wrong with the variables, one line each naming its variable (no values). */
export class MiniLoginConfigError extends TypeError {
  override name = 'MiniLoginConfigError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`login configuration: ${problems.join('; ')}`)
    this.problems = problems
  }
}

/**
 * Parses QQ_APPS, QQ_API_BASE, TT_APPS, TT_API_BASE and the ALIPAY_*
 * variables; throws MiniLoginConfigError.
 */
export function parseMiniLoginEnv(env: Record<string, string | undefined>): MiniLoginConfig {
  const parsed = Env.safeParse(present(env))
  if (!parsed.success) {
    throw new MiniLoginConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    )
  }
  const e = parsed.data
  return {
    qq: { apps: e.QQ_APPS, baseUrl: e.QQ_API_BASE },
    tt: { apps: e.TT_APPS, baseUrl: e.TT_API_BASE },
    alipay:
      e.ALIPAY_APPID && e.ALIPAY_PRIVATE_KEY && e.ALIPAY_PUBLIC_KEY
        ? {
            appid: e.ALIPAY_APPID,
            privateKey: e.ALIPAY_PRIVATE_KEY.pem,
            keyType: e.ALIPAY_PRIVATE_KEY.keyType,
            alipayPublicKey: e.ALIPAY_PUBLIC_KEY,
            gateway: e.ALIPAY_GATEWAY,
          }
        : null,
  }
}
