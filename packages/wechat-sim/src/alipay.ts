/**
 * Alipay's OpenAPI 2.0 gateway (POST /alipay/gateway.do) for the one method
 * a login needs, alipay.system.oauth.token. The gateway's part is here
 * (common parameters, the app's RSA2 request signature, the signed answer);
 * the code rules are SimState's.
 *
 * Signing rule (opendocs.alipay.com/common/02kf5q, and what the official
 * alipay-sdk does): every parameter but `sign` (sign_type included), empty
 * values left out, sorted by name, `k=v` joined by `&`, RSA-SHA256, base64.
 * The answer's `sign` is RSA-SHA256 over the exact JSON text of the
 * `*_response` object, as the SDK verifies it.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import type { AlipayKeysResponse } from './protocol'
import type { AlipayResult, SimState } from './state'

export const ALIPAY_METHOD = 'alipay.system.oauth.token'
const RESPONSE_KEY = 'alipay_system_oauth_token_response'
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

export interface AlipayKeys {
  appid: string
  /** Verifies the app's requests; unset: the simulator generates the app's key pair. */
  appPublicKey?: KeyObject
  /** Signs the simulator's answers; unset: generated at start. */
  privateKey?: KeyObject
}

/**
 * A PEM, or the bare base64 DER Alipay's console hands out (SPKI public,
 * PKCS#8 or PKCS#1 private); `\n` escapes count as newlines so a PEM fits on
 * one env line. Throws when it is not an RSA key.
 */
export function parseRsaKey(text: string, kind: 'public' | 'private'): KeyObject {
  const value = text.trim().replaceAll('\\n', '\n')
  const load = (): KeyObject => {
    if (value.includes('-----BEGIN')) {
      return kind === 'public' ? createPublicKey(value) : createPrivateKey(value)
    }
    const der = Buffer.from(value.replace(/\s+/g, ''), 'base64')
    if (kind === 'public') return createPublicKey({ key: der, format: 'der', type: 'spki' })
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    } catch {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' })
    }
  }
  const key = load()
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key')
  return key
}

/** The signed content of a request: OpenAPI 2.0's rule (see the file comment). */
export function signContent(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')
}

export class AlipayGateway {
  readonly appid: string
  private readonly appPublicKey: KeyObject
  private readonly privateKey: KeyObject
  private readonly publicKeyPem: string
  /** Only when the simulator made the app's key pair (development). */
  private readonly appPrivateKeyPem: string | null

  constructor(
    private readonly state: SimState,
    keys: AlipayKeys,
  ) {
    this.appid = keys.appid
    const own = keys.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    this.privateKey = own
    this.publicKeyPem = createPublicKey(own).export({ type: 'spki', format: 'pem' }).toString()
    if (keys.appPublicKey) {
      this.appPublicKey = keys.appPublicKey
      this.appPrivateKeyPem = null
    } else {
      const app = generateKeyPairSync('rsa', { modulusLength: 2048 })
      this.appPublicKey = app.publicKey
      this.appPrivateKeyPem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    }
  }

  /** GET /sim/alipay-keys: public material, and the app's private key only if generated here. */
  keys(): AlipayKeysResponse {
    return {
      appid: this.appid,
      alipayPublicKey: this.publicKeyPem,
      appPrivateKey: this.appPrivateKeyPem,
    }
  }

  /** The gateway call: the exact response text (HTTP 200, as Alipay answers errors too). */
  handle(params: Record<string, string>): { text: string; appid?: string } {
    const result = this.check(params)
    return { text: this.render(result), appid: params.app_id }
  }

  /** An answer's text with its signature (error_response too, signed the same way). */
  render(result: AlipayResult): string {
    const key = result.ok ? RESPONSE_KEY : 'error_response'
    const inner = JSON.stringify(result.ok ? result.body : result.error)
    const sign = createSign('RSA-SHA256').update(inner, 'utf8').sign(this.privateKey, 'base64')
    return `{"${key}":${inner},"sign":${JSON.stringify(sign)}}`
  }

  private check(p: Record<string, string>): AlipayResult {
    const missing = (sub: string) => this.state.alipayError('40001', sub)
    const invalid = (sub: string) => this.state.alipayError('40002', sub)
    if (!p.app_id) return missing('isv.missing-app-id')
    if (!p.method) return missing('isv.missing-method')
    if (!p.sign) return missing('isv.missing-signature')
    if (!p.sign_type) return missing('isv.missing-signature-type')
    if (!p.timestamp) return missing('isv.missing-timestamp')
    if (!p.version) return missing('isv.missing-version')
    if (p.app_id !== this.appid || this.state.platformOf(p.app_id) !== 'alipay') {
      return invalid('isv.invalid-app-id')
    }
    // RSA (SHA-1) is legacy; the simulator, like new apps, speaks RSA2 only.
    if (p.sign_type !== 'RSA2') return invalid('isv.invalid-signature-type')
    if (!TIMESTAMP.test(p.timestamp)) return invalid('isv.invalid-timestamp')
    const verified = createVerify('RSA-SHA256')
      .update(signContent(p), 'utf8')
      .verify(this.appPublicKey, p.sign, 'base64')
    if (!verified) return invalid('isv.invalid-signature')
    if (p.method !== ALIPAY_METHOD) return invalid('isv.invalid-method')
    return this.state.alipayOauthToken(p.app_id, p.grant_type, p.code)
  }
}
