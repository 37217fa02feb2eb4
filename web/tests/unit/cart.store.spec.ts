import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { TOKEN_KEY } from '@/stores/auth'
import { useCartStore } from '@/stores/cart'
import { headerOf, json, makeJwt, mockFetch } from './helpers'

const CART = {
  id: 1,
  items: [{ id: 10, product_id: 7, name: 'Laptop', unit_price: '1500.00', quantity: 2, line_total: '3000.00', stock: 5, available: true }],
  total: '3000.00',
  currency: 'EUR',
}
const SUCCESS = { message: 'Compra exitosa', order_id: 42, total: '3000.00', currency: 'EUR' }
const UNAVAILABLE = { error: { code: 'inventory_unavailable', message: 'Inventory is unavailable' } }

describe('cart store checkout', () => {
  beforeEach(() => {
    localStorage.clear()
    localStorage.setItem(TOKEN_KEY, makeJwt({}))
    setActivePinia(createPinia())
  })

  const keysSent = (fetch: ReturnType<typeof mockFetch>) =>
    fetch.mock.calls.filter((c) => c[0] === '/api/cart/checkout').map((c) => headerOf(c[1], 'Idempotency-Key'))

  it('reuses the Idempotency-Key when retrying after a 503, and takes a fresh one after success', async () => {
    const answers = [json(503, UNAVAILABLE), json(201, SUCCESS), json(201, { ...SUCCESS, order_id: 43 })]
    const fetch = mockFetch(() => answers.shift()!)
    const cart = useCartStore()
    cart.cart = structuredClone(CART)

    await expect(cart.checkout()).rejects.toMatchObject({ status: 503 })
    expect(cart.checkoutKey).not.toBeNull()
    await expect(cart.checkout()).resolves.toEqual(SUCCESS)
    expect(cart.checkoutKey).toBeNull()
    expect(cart.isEmpty).toBe(true)
    await cart.checkout()

    const [first, retry, next] = keysSent(fetch)
    expect(first).toMatch(/^[0-9a-f-]{36}$/)
    expect(retry).toBe(first)
    expect(next).not.toBe(first)
  })

  it('reuses the key after a network error', async () => {
    let calls = 0
    const fetch = mockFetch(() => (calls++ === 0 ? Promise.reject(new TypeError('Failed to fetch')) : json(201, SUCCESS)))
    const cart = useCartStore()
    await expect(cart.checkout()).rejects.toMatchObject({ code: 'network_error' })
    await cart.checkout()
    const [first, retry] = keysSent(fetch)
    expect(retry).toBe(first)
  })

  it('keeps the shortages of a 409 and starts a new attempt afterwards', async () => {
    const short = [{ product_id: 7, requested: 2, available: 1 }]
    const answers = [
      json(409, { error: { code: 'insufficient_stock', message: 'Not enough stock', details: { short } } }),
      json(201, SUCCESS),
    ]
    const fetch = mockFetch(() => answers.shift()!)
    const cart = useCartStore()
    cart.cart = structuredClone(CART)

    await expect(cart.checkout()).rejects.toMatchObject({ status: 409, code: 'insufficient_stock' })
    expect(cart.shortages).toEqual(short)
    expect(cart.items).toHaveLength(1)
    expect(cart.checkoutKey).toBeNull()

    await cart.checkout()
    const [first, second] = keysSent(fetch)
    expect(second).not.toBe(first)
    expect(cart.shortages).toEqual([])
  })

  it('marks the products a checkout refused as no longer sold until the cart changes', async () => {
    const refused = { code: 'product_unavailable', message: 'Some products are no longer sold', details: { product_ids: [7] } }
    const answers = [json(409, { error: refused }), json(200, { ...CART, items: [] })]
    mockFetch(() => answers.shift()!)
    const cart = useCartStore()
    cart.cart = structuredClone(CART)

    await expect(cart.checkout()).rejects.toMatchObject({ status: 409, code: 'product_unavailable' })
    expect(cart.unavailableIds).toEqual([7])
    expect(cart.checkoutKey).toBeNull()
    await cart.removeItem(10)
    expect(cart.unavailableIds).toEqual([])
  })

  it('a changed cart after a 503 gets a new key', async () => {
    const answers = [json(503, UNAVAILABLE), json(200, CART), json(201, SUCCESS)]
    const fetch = mockFetch(() => answers.shift()!)
    const cart = useCartStore()
    await expect(cart.checkout()).rejects.toMatchObject({ status: 503 })
    await cart.setQuantity(10, 1)
    await cart.checkout()
    const [first, second] = keysSent(fetch)
    expect(second).not.toBe(first)
  })

  it('adds items with product_id and quantity and keeps the returned cart', async () => {
    const fetch = mockFetch(() => json(200, CART))
    const cart = useCartStore()
    await cart.add(7, 2)
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/cart')
    expect(init?.method).toBe('POST')
    expect(JSON.parse(init?.body as string)).toEqual({ product_id: 7, quantity: 2 })
    expect(cart.itemCount).toBe(2)
  })
})
