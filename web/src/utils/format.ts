const LOCALE = 'en-US'
const money = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const byCurrency = new Map<string, Intl.NumberFormat>()

function currencyFormat(currency: string): Intl.NumberFormat | null {
  if (!byCurrency.has(currency)) {
    try {
      byCurrency.set(currency, new Intl.NumberFormat(LOCALE, { style: 'currency', currency }))
    } catch {
      return null // not an ISO 4217 code the browser knows
    }
  }
  return byCurrency.get(currency)!
}

/**
 * "1500.00" → "$1,500.00", or in an order's currency: ("1500.00", "EUR") → "€1,500.00"
 * (display only; money is never computed in the browser).
 */
export function formatMoney(value: string | number | null | undefined, currency?: string | null): string {
  if (value === null || value === undefined || value === '') return '—'
  const n = Number(value)
  if (!Number.isFinite(n)) return String(value)
  const format = currency ? currencyFormat(currency) : null
  if (format) return format.format(n)
  return currency ? `${money.format(n)} ${currency}` : `$${money.format(n)}`
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
