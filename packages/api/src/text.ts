/**
 * Text the API stores must be text PostgreSQL can hold as it was sent: its
 * `text` type refuses U+0000 (the write fails, a 500), and a lone UTF-16
 * surrogate cannot be encoded, so it would be stored as U+FFFD.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value)
}

export const NOT_STORABLE = 'must not contain NUL characters or broken Unicode'

/** Removes what isStorableText refuses: for descriptive fields that must not fail a call. */
export function toStorableText(value: string): string {
  return value.replaceAll('\u0000', '').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd')
}
