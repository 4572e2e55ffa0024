#!/usr/bin/env node
// Draws the tab bar icons (src/assets/tab/*.png, 81x81 as WeChat recommends) from a
// few stroked shapes, so they can be redrawn without an image editor:
//   node scripts/tab-icons.mjs
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const SIZE = 81
const STROKE = 5.5
const SAMPLES = 4 // per axis: 16 samples a pixel for smooth edges
const COLORS = { normal: [0x8f, 0x95, 0x9e], active: [0x07, 0xc1, 0x60] }
const outDir = join(dirname(fileURLToPath(import.meta.url)), '../src/assets/tab')

/** Distance from p to the segment a-b. */
function segment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - ax - t * dx, py - ay - t * dy)
}
const polyline =
  (...points) =>
  (x, y) =>
    Math.min(...points.slice(1).map((p, i) => segment(x, y, points[i], p)))
const ring =
  (cx, cy, r, keep = () => true) =>
  (x, y) =>
    keep(x, y) ? Math.abs(Math.hypot(x - cx, y - cy) - r) : Number.POSITIVE_INFINITY
/** Outline of a rounded rectangle. */
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  const qx = Math.abs(x - (x0 + x1) / 2) - ((x1 - x0) / 2 - r)
  const qy = Math.abs(y - (y0 + y1) / 2) - ((y1 - y0) / 2 - r)
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0))
  return Math.abs(outside + Math.min(Math.max(qx, qy), 0) - r)
}

const ICONS = {
  home: [
    polyline([12, 38], [40.5, 14], [69, 38]),
    polyline([21, 33], [21, 67], [60, 67], [60, 33]),
    polyline([34, 67], [34, 50], [47, 50], [47, 67]),
  ],
  profile: [
    ring(40.5, 28, 12),
    ring(40.5, 72, 25, (_x, y) => y <= 70),
    polyline([15.5, 70], [65.5, 70]),
  ],
  sessions: [roundRect(23, 11, 58, 70, 8), polyline([35, 60], [46, 60])],
}

function crc32(bytes) {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
  }
  return ~crc >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

function png(shapes, [r, g, b]) {
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 4))
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 4) // filter byte 0 (none) at the start of each row
    for (let x = 0; x < SIZE; x++) {
      let covered = 0
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const px = x + (sx + 0.5) / SAMPLES
          const py = y + (sy + 0.5) / SAMPLES
          if (shapes.some((shape) => shape(px, py) <= STROKE / 2)) covered++
        }
      }
      const offset = row + 1 + x * 4
      rows[offset] = r
      rows[offset + 1] = g
      rows[offset + 2] = b
      rows[offset + 3] = Math.round((covered / (SAMPLES * SAMPLES)) * 255)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(SIZE, 0)
  header.writeUInt32BE(SIZE, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

for (const [name, shapes] of Object.entries(ICONS)) {
  for (const [state, color] of Object.entries(COLORS)) {
    const file = join(outDir, `${name}${state === 'active' ? '-active' : ''}.png`)
    const data = png(shapes, color)
    writeFileSync(file, data)
    console.log(`${file}: ${data.length} bytes`)
  }
}
