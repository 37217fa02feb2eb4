import type { Features } from '@/api/types'

export interface FeatureRow {
  key: string
  value: string
}

export function rowsFromFeatures(features: Features | null | undefined): FeatureRow[] {
  return Object.entries(features ?? {}).map(([key, value]) => ({
    key,
    value: typeof value === 'string' ? value : JSON.stringify(value),
  }))
}

/**
 * Rows → features object. Values are strings, except where the product already held a
 * number, boolean or object under that key and the text still parses as one.
 */
export function featuresFromRows(rows: FeatureRow[], original: Features | null = null): Features {
  const out: Features = {}
  for (const { key, value } of rows) {
    const k = key.trim()
    if (!k) continue
    const before = original?.[k]
    if (before !== undefined && typeof before !== 'string') {
      try {
        const parsed: unknown = JSON.parse(value)
        if (typeof parsed === typeof before) {
          out[k] = parsed
          continue
        }
      } catch {
        /* not JSON: keep the text */
      }
    }
    out[k] = value.trim()
  }
  return out
}

/** A message for the first problem in the rows, or null. */
export function validateRows(rows: FeatureRow[]): string | null {
  const seen = new Set<string>()
  for (const { key, value } of rows) {
    const k = key.trim()
    if (!k && !value.trim()) continue
    if (!k) return 'Every feature needs a name.'
    if (seen.has(k)) return `The feature "${k}" appears twice.`
    seen.add(k)
  }
  return null
}
