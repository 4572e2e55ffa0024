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
