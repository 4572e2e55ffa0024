import { crc32, deflateSync } from 'node:zlib'

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0)
  return Buffer.concat([length, body, crc])
}

/**
 * A small RGB PNG that browsers decode: a diagonal gradient from `from` to `to` with a
 * round spot in the middle, so an uploaded avatar is recognisable in a screenshot.
 */
export function gradientPng(
  size = 96,
  from: [number, number, number] = [7, 193, 96],
  to: [number, number, number] = [22, 119, 255],
): Buffer {
  const rows: Buffer[] = []
  const centre = (size - 1) / 2
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3) // filter byte 0 (None), then RGB
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1))
      const spot = Math.hypot(x - centre, y - centre) < size / 5
      for (let c = 0; c < 3; c++) {
        const value = Math.round((from[c] ?? 0) * (1 - t) + (to[c] ?? 0) * t)
        row[1 + x * 3 + c] = spot ? 255 : value
      }
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
