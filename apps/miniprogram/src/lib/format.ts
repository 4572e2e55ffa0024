const pad = (n: number) => (n < 10 ? `0${n}` : String(n))

/** `2025-01-31T08:05:09.000Z` -> `2025-01-31 16:05:09` in the device's time zone. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  )
}

/** `2025-01-31T08:05:09.000Z` -> `2025-01-31` in the device's time zone. */
export function formatDate(iso: string): string {
  return formatDateTime(iso).slice(0, 10)
}

/** 刚刚 / 5 分钟前 / 3 小时前 within a day, else the date and time. */
export function formatRelative(
  iso: string,
  texts: { justNow: string; minutesAgo(n: number): string; hoursAgo(n: number): string },
  now: number = Date.now(),
): string {
  const time = new Date(iso).getTime()
  if (Number.isNaN(time)) return iso
  const minutes = Math.floor((now - time) / 60_000)
  if (minutes < 1) return texts.justNow
  if (minutes < 60) return texts.minutesAgo(minutes)
  if (minutes < 24 * 60) return texts.hoursAgo(Math.floor(minutes / 60))
  return formatDateTime(iso).slice(0, 16)
}
