const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** "1500.00" → "$1,500.00" (display only; money is never computed in the browser). */
export function formatMoney(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—'
  const n = Number(value)
  return Number.isFinite(n) ? `$${money.format(n)}` : String(value)
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

export const LOW_STOCK = 5

export type StockLevelKind = 'unknown' | 'out' | 'low' | 'in'

export function stockKind(stock: number | null | undefined): StockLevelKind {
  if (stock === null || stock === undefined) return 'unknown'
  if (stock <= 0) return 'out'
  return stock <= LOW_STOCK ? 'low' : 'in'
}

export function stockLabel(stock: number | null | undefined): string {
  switch (stockKind(stock)) {
    case 'unknown':
      return 'Availability unknown'
    case 'out':
      return 'Out of stock'
    case 'low':
      return `Only ${stock} left`
    default:
      return 'In stock'
  }
}

/** A decimal with at most two places, not negative: "15", "15.5", "15.50". */
export const MONEY_RE = /^\d{1,8}(\.\d{1,2})?$/
export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** A server message as a sentence, so more text can follow it: "Not enough stock" → "Not enough stock." */
export function sentence(message: string): string {
  const text = message.trim()
  return !text || /[.!?…]$/.test(text) ? text : `${text}.`
}
