/**
 * Splits a SQL script into statements at top-level semicolons, skipping
 * semicolons inside quotes, dollar-quoted bodies and comments. Used only when
 * a connection refuses several statements in one query.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = []
  let start = 0
  let i = 0
  const n = script.length
  const push = (end: number): void => {
    const text = script.slice(start, end).trim()
    // A chunk of nothing but comments is no statement.
    if (stripComments(text).trim() !== '') statements.push(text)
  }
  while (i < n) {
    const c = script[i]
    const next = script[i + 1]
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i)
      i = end === -1 ? n : end + 1
    } else if (c === '/' && next === '*') {
      // PostgreSQL block comments nest.
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth++
          i += 2
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth--
          i += 2
        } else i++
      }
    } else if (c === "'" || c === '"') {
      // E'...' strings treat backslash as an escape; plain strings do not.
      const escapes =
        c === "'" && /[Ee]/.test(script[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(script[i - 2] ?? '')
      i++
      while (i < n) {
        if (script[i] === c) {
          if (script[i + 1] === c) i += 2
          else {
            i++
            break
          }
        } else if (escapes && script[i] === '\\') i += 2
        else i++
      }
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i))
      if (tag && !/[A-Za-z0-9_]/.test(script[i - 1] ?? '')) {
        const close = script.indexOf(tag[0], i + tag[0].length)
        i = close === -1 ? n : close + tag[0].length
      } else i++
    } else if (c === ';') {
      push(i)
      i++
      start = i
    } else i++
  }
  push(n)
  return statements
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')
}
