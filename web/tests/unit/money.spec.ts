import { beforeEach, describe, expect, it } from 'vitest'
import { formatMoney } from '@/utils/format'
import { json, mockFetch, routedPages, textsOf } from './helpers'

/** Every .vue and .ts file of web/src as text, but the generated API types (the services' OpenAPI examples). */
const SOURCES = import.meta.glob<string>(['../../src/**/*.{vue,ts}', '!../../src/api/generated/**'], {
  query: '?raw',
  import: 'default',
  eager: true,
})

// A "$" that is not a template literal's `${`, a name ($emit, $event) or a regular expression's end (`$/`).
const DOLLAR = /\$(?![{A-Za-z_/])/
const CURRENCY = /\b(?:USD|EUR|GBP|JPY)\b|[€£¥]/

/** The lines of `text` that write a currency themselves instead of asking formatMoney. */
function hardCodedMoney(text: string): string[] {
  return text.split('\n').filter((line) => DOLLAR.test(line) || CURRENCY.test(line))
}

describe('formatMoney', () => {
  it('writes an amount in the currency its answer names, with that currency’s symbol and decimals', () => {
    expect(formatMoney('1500.00', 'EUR')).toBe('€1,500.00')
    expect(formatMoney('24.5', 'GBP')).toBe('£24.50')
    expect(formatMoney('4.9', 'USD')).toBe('$4.90')
    expect(formatMoney('1500.00', 'JPY')).toBe('¥1,500')
    expect(formatMoney(0, 'CHF')).toBe('CHF\u00a00.00')
  })

  it('writes the code after the amount when Intl does not take it, and a dash for no amount', () => {
    expect(formatMoney('10.00', 'XX1')).toBe('10.00 XX1')
    expect(formatMoney(null, 'EUR')).toBe('—')
    expect(formatMoney('', 'EUR')).toBe('—')
    expect(formatMoney('n/a', 'EUR')).toBe('n/a')
  })
})

describe('no hard-coded currency in web/src', () => {
  it('finds a written "$" or currency, and lets template literals, $emit and regular expressions be', () => {
    expect(hardCodedMoney("return currency ? `${plain.format(n)} ${currency}` : `$${plain.format(n)}`")).toHaveLength(1)
    expect(hardCodedMoney('<span>$ {{ product.price }}</span>')).toHaveLength(1)
    expect(hardCodedMoney("const symbol = '$'")).toHaveLength(1)
    expect(hardCodedMoney("formatMoney(price, 'EUR') + ' €'")).toHaveLength(1)
    expect(hardCodedMoney('@click="$emit(\'remove\', item)" :label="`Edit ${m.name}`" /^\\d+$/.test(v)')).toEqual([])
  })

  it('shows every amount through formatMoney', () => {
    const found = Object.entries(SOURCES).flatMap(([path, text]) =>
      hardCodedMoney(text).map((line) => `${path}: ${line.trim()}`),
    )
    expect(SOURCES['../../src/utils/format.ts']).toContain('export function formatMoney')
    expect(SOURCES['../../src/pages/CartPage.vue']).toContain('<template>')
    expect(Object.keys(SOURCES).some((path) => path.includes('/generated/'))).toBe(false)
    expect(found).toEqual([])
  })
})

const GBP_PRODUCT = {
  id: 7, name: 'Kettle', description: null, price: '24.50', currency: 'GBP', image_url: null, features: {},
  stock: 3, stock_updated_at: null, created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:00Z',
}
const GBP_CART = {
  id: 1, total: '49.00', currency: 'GBP',
  items: [{ id: 10, product_id: 7, name: 'Kettle', unit_price: '24.50', quantity: 2, line_total: '49.00', stock: 3, available: true }],
}

describe('pages show money in the answer’s currency', { timeout: 20_000 }, () => {
  const { open } = routedPages()

  beforeEach(() => {
    mockFetch((url) => {
      if (url.startsWith('/api/products/7')) return json(200, GBP_PRODUCT)
      if (url.startsWith('/api/products')) return json(200, { items: [GBP_PRODUCT], total: 1, page: 1, page_size: 12 })
      if (url === '/api/cart') return json(200, GBP_CART)
      return json(404, { error: { code: 'not_found', message: url } })
    })
  })

  it('the catalog', async () => {
    await open('/home')
    expect(await textsOf('product-price')).toEqual(['£24.50'])
  })

  it('the product page', async () => {
    await open('/products/7')
    expect(await textsOf('product-price')).toEqual(['£24.50'])
  })

  it('the cart', async () => {
    await open('/cart')
    expect(await textsOf('cart-total')).toEqual(['£49.00'])
    expect(await textsOf('cart-item-total')).toEqual(['£49.00'])
    expect(document.querySelector('[data-testid="cart-item"]')?.textContent).toContain('£24.50 each')
  })
})
