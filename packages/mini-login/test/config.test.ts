import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseMiniLoginEnv, parsePrivateKey } from '../src'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
const spki = publicKey.export({ type: 'spki', format: 'pem' }) as string
/** Alipay's console gives keys as bare base64. */
const bare = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')

describe('parseMiniLoginEnv', () => {
  it('reads appid:secret lists and defaults the hosts', () => {
    const config = parseMiniLoginEnv({ QQ_APPS: ' 1110000000:s1 , 1110000001:s2', TT_APPS: '' })
    expect(config.qq).toEqual({
      apps: [
        { appid: '1110000000', secret: 's1' },
        { appid: '1110000001', secret: 's2' },
      ],
      baseUrl: 'https://api.q.qq.com',
    })
    expect(config.tt).toEqual({ apps: [], baseUrl: 'https://developer.toutiao.com' })
    expect(config.alipay).toBeNull()
  })

  it('refuses a bad entry by its position, never its text', () => {
    let message = ''
    try {
      parseMiniLoginEnv({ TT_APPS: 'tt1:ok,tt2-topsecret' })
    } catch (e) {
      message = String(e)
    }
    expect(message).toContain('TT_APPS: entry 2 must be appid:secret')
    expect(message).not.toContain('topsecret')
    expect(() => parseMiniLoginEnv({ QQ_APPS: 'a:1,a:2' })).toThrow(/appears twice/)
    expect(() => parseMiniLoginEnv({ QQ_API_BASE: 'ftp://x' })).toThrow(/QQ_API_BASE/)
  })

  it.each([
    ['PKCS#8 PEM', pkcs8, 'PKCS8'],
    ['PKCS#1 PEM', pkcs1, 'PKCS1'],
    ['bare PKCS#8', bare(pkcs8), 'PKCS8'],
    ['bare PKCS#1', bare(pkcs1), 'PKCS1'],
  ])('takes the Alipay private key as %s', (_name, key, keyType) => {
    const config = parseMiniLoginEnv({
      ALIPAY_APPID: '2021000000000001',
      ALIPAY_PRIVATE_KEY: key,
      ALIPAY_PUBLIC_KEY: bare(spki),
    })
    expect(config.alipay).toMatchObject({
      appid: '2021000000000001',
      keyType,
      gateway: 'https://openapi.alipay.com/gateway.do',
    })
    expect(parsePrivateKey(config.alipay?.privateKey ?? '')?.keyType).toBe(keyType)
    expect(config.alipay?.alipayPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/)
  })

  it('refuses keys that do not parse, without echoing them', () => {
    // Cut short: the DER no longer parses (a changed modulus byte would still parse).
    const broken = `${pkcs8.slice(0, 300)}\n-----END PRIVATE KEY-----`
    let message = ''
    try {
      parseMiniLoginEnv({
        ALIPAY_APPID: '2021000000000001',
        ALIPAY_PRIVATE_KEY: broken,
        ALIPAY_PUBLIC_KEY: pkcs8,
      })
    } catch (e) {
      message = String(e)
    }
    expect(message).toContain('ALIPAY_PRIVATE_KEY: must be an RSA private key')
    expect(message).toContain('ALIPAY_PUBLIC_KEY: must be an RSA public key')
    expect(message).not.toContain(pkcs8.slice(40, 80))
  })

  it('wants all three Alipay variables or none', () => {
    expect(() => parseMiniLoginEnv({ ALIPAY_APPID: '2021000000000001' })).toThrow(/go together/)
  })
})
