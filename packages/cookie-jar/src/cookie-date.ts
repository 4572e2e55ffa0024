/*
 * The cookie-date algorithm of RFC 6265 section 5.1.1, for Expires.
 *
 * Written by hand: Date.parse reads zones (+0800, PST) and zone-less dates as
 * local time, takes ISO 8601 and "21 Oct 2026" without a time, rolls 31 Apr
 * over to 1 May and has its own two-digit-year rule, and no small, maintained
 * library implements exactly 5.1.1 on its own (tough-cookie's parser lives
 * inside its whole cookie jar). The grammar's optional tails ([ non-digit
 * *OCTET ]) are as in RFC 6265bis, which fixed the brackets.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

/** delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E; everything else is a token character. */
function isDelimiter(code: number): boolean {
  return (
    code === 0x09 ||
    (code >= 0x20 && code <= 0x2f) ||
    (code >= 0x3b && code <= 0x40) ||
    (code >= 0x5b && code <= 0x60) ||
    (code >= 0x7b && code <= 0x7e)
  )
}

function dateTokens(date: string): string[] {
  const tokens: string[] = []
  let start = -1
  for (let i = 0; i <= date.length; i++) {
    const delimiter = i === date.length || isDelimiter(date.charCodeAt(i))
    if (delimiter && start >= 0) {
      tokens.push(date.slice(start, i))
      start = -1
    } else if (!delimiter && start < 0) {
      start = i
    }
  }
  return tokens
}

// Each production: its digits, then nothing or a non-digit and anything (\d is ASCII only).
const TIME = /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D|$)/
const DAY_OF_MONTH = /^(\d{1,2})(?:\D|$)/
const YEAR = /^(\d{2,4})(?:\D|$)/

/** Epoch ms of a cookie-date, or null when it fails to parse (the Expires is then ignored). */
export function parseCookieDate(date: string): number | null {
  let time: RegExpExecArray | null = null
  let day: number | null = null
  let month: number | null = null
  let year: number | null = null
  // Step 2: each token goes to the first field, in this order, that is still unset and that it fits.
  for (const token of dateTokens(date)) {
    if (time === null) {
      time = TIME.exec(token)
      if (time !== null) continue
    }
    if (day === null) {
      const match = DAY_OF_MONTH.exec(token)
      if (match !== null) {
        day = Number(match[1])
        continue
      }
    }
    if (month === null) {
      const index = MONTHS.indexOf(token.slice(0, 3).toLowerCase())
      if (index >= 0) {
        month = index
        continue
      }
    }
    if (year === null) {
      const match = YEAR.exec(token)
      if (match !== null) year = Number(match[1])
    }
  }
  if (time === null || day === null || month === null || year === null) return null
  // Steps 3-4: 70-99 are 19xx, 0-69 are 20xx (also when written with four digits, e.g. 0070).
  if (year >= 70 && year <= 99) year += 1900
  else if (year <= 69) year += 2000
  const hour = Number(time[1])
  const minute = Number(time[2])
  const second = Number(time[3])
  // Step 5.
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return null
  // Step 6: Date.UTC rolls 31 Apr over to 1 May; such a date does not exist.
  const ms = Date.UTC(year, month, day, hour, minute, second)
  return new Date(ms).getUTCDate() === day ? ms : null
}
