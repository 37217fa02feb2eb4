const LOCALE = 'en-US'
const byCurrency = new Map<string, Intl.NumberFormat | null>()
const plain = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 })

function currencyFormat(currency: string): Intl.NumberFormat | null {
  if (!byCurrency.has(currency)) {
    let format: Intl.NumberFormat | null = null
    try {
      format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency })
    } catch {
      // not a code Intl accepts: the amount is written with the code after it
    }
    byCurrency.set(currency, format)
  }
  return byCurrency.get(currency) ?? null
}

/**
 * The one way the app shows money: an amount from an answer (a decimal string) in the ISO 4217
 * currency that answer names (`currency` of a product, cart, shipping method, quote or order), with
 * that currency's own symbol and decimals. Display only: money is never computed in the browser.
 */
export function formatMoney(value: string | number | null | undefined, currency: string): string {
  if (value === null || value === undefined || value === '') return '—'
  const n = Number(value)
  if (!Number.isFinite(n)) return String(value)
  const format = currencyFormat(currency)
  return format ? format.format(n) : `${plain.format(n)} ${currency}`
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
