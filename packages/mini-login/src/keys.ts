import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

export interface ParsedPrivateKey {
  /** PEM, as the SDK takes it. */
  pem: string
  /** The SDK's name for the PEM's format: PKCS1 (`RSA PRIVATE KEY`) or PKCS8 (`PRIVATE KEY`). */
  keyType: 'PKCS1' | 'PKCS8'
}

/**
 * Alipay's console hands out keys as bare base64 (no PEM lines): those are
 * wrapped. Only the header is looked at; the key is never echoed.
 */
function asPem(value: string, label: string): string {
  const text = value.trim().replace(/\\n/g, '\n')
  if (text.startsWith('-----BEGIN ')) return text
  const body = text.replace(/\s+/g, '')
  const lines = body.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`
}

function rsa(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa'
}

/** An RSA private key (PEM or bare base64 PKCS#8/PKCS#1), or null when it does not parse. */
export function parsePrivateKey(value: string): ParsedPrivateKey | null {
  const candidates = value.trim().startsWith('-----BEGIN ')
    ? [asPem(value, '')]
    : [asPem(value, 'PRIVATE KEY'), asPem(value, 'RSA PRIVATE KEY')]
  for (const pem of candidates) {
    try {
      if (!rsa(createPrivateKey(pem))) return null
      return { pem, keyType: pem.includes('BEGIN RSA PRIVATE KEY') ? 'PKCS1' : 'PKCS8' }
    } catch {
      // Not this format: try the next, else null.
    }
  }
  return null
}

/** An RSA public key (PEM or bare base64 SPKI), normalised to PEM, or null. */
export function parsePublicKeyPem(value: string): string | null {
  // Node derives a public key from a private one: a private key here is a mix-up.
  if (value.includes('PRIVATE KEY')) return null
  const pem = asPem(value, 'PUBLIC KEY')
  try {
    return rsa(createPublicKey(pem)) ? pem : null
  } catch {
    return null
  }
}

export function parsePublicKey(value: string): boolean {
  return parsePublicKeyPem(value) !== null
}
