import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { TOKEN_KEY } from '@/stores/auth'
import { useCartStore } from '@/stores/cart'
import { CHECKOUT_KEY, useCheckoutStore } from '@/stores/checkout'
import { bodyOf, headerOf, json, makeJwt, mockFetch } from './helpers'

const HOME = {
  id: 5, name: 'Ana', phone: '+34 600 000 000', line1: 'Calle Mayor 1', line2: null, city: 'Madrid',
  region: null, postal_code: '28001', country: 'ES', is_default: true, created_at: '', updated_at: '',
}
const PICKUP = { id: 1, name: 'Pickup in store', price: '0.00', free_above: null, currency: 'EUR', pickup: true, active: true, is_default: true }
const COURIER = { id: 2, name: 'Courier', price: '4.90', free_above: '100.00', currency: 'EUR', pickup: false, active: true, is_default: false }
const PAYMENTS = [
  { code: 'cash_on_pickup', name: 'Cash on pickup', enabled: true, instructions: null, fits: ['pickup'] },
  { code: 'cash_on_delivery', name: 'Cash on delivery', enabled: true, instructions: null, fits: ['delivery'] },
  { code: 'bank_transfer', name: 'Bank transfer', enabled: true, instructions: 'IBAN ES00', fits: ['pickup', 'delivery'] },
]
const QUOTE = {
  subtotal: '30.00', shipping_total: '4.90', total: '34.90', currency: 'EUR',
  shipping: { method_id: 2, name: 'Courier', price: '4.90', pickup: false },
  payment: { method: 'bank_transfer', name: 'Bank transfer', instructions: 'IBAN ES00', status: 'unpaid' },
}

/** The services as the checkout sees them; every call is recorded by mockFetch. */
function services(addresses: unknown[] = [HOME]) {
  return mockFetch((url, init) => {
    if (url === '/api/addresses' && init.method === 'POST') return json(201, { ...HOME, ...(bodyOf(init) as object), id: 6 })
    if (url === '/api/addresses') return json(200, addresses)
    if (url.startsWith('/api/shipping-methods')) return json(200, [PICKUP, COURIER])
    if (url.startsWith('/api/payment-methods')) return json(200, PAYMENTS)
    if (url === '/api/cart/quote') return json(200, QUOTE)
    if (url === '/api/cart/checkout') return json(201, { message: 'Compra exitosa', order_id: 9, total: '34.90', currency: 'EUR' })
    return json(404, { error: { code: 'not_found', message: url } })
  })
}

/** A page load: a fresh Pinia, as after a refresh (sessionStorage survives it). */
function refresh() {
  setActivePinia(createPinia())
  return useCheckoutStore()
}

describe('checkout store', () => {
  beforeEach(() => {
    localStorage.clear()
    sessionStorage.clear()
    localStorage.setItem(TOKEN_KEY, makeJwt({}))
    setActivePinia(createPinia())
  })

  it('starts from the default address and asks every step before the review', async () => {
    const fetch = services()
    const checkout = useCheckoutStore()
    await checkout.load()
    expect(checkout.addressId).toBe(5)
    expect(fetch.mock.calls.map((c) => c[0])).not.toContain('/api/cart/quote') // the methods say their currency
    expect(checkout.missingBefore('shipping')).toBeNull()
    expect(checkout.missingBefore('review')).toBe('shipping')
    checkout.chooseShipping(2)
    expect(checkout.missingBefore('review')).toBe('payment')
    checkout.choosePayment('bank_transfer')
    expect(checkout.missingBefore('review')).toBeNull()
  })

  it('keeps the choices and an unsaved address over a refresh, and checks them against the server again', async () => {
    services()
    const first = useCheckoutStore()
    await first.load()
    first.chooseShipping(2)
    first.choosePayment('bank_transfer')
    first.draft.city = 'Sevilla'

    const again = refresh()
    expect(again.shippingMethodId).toBe(2)
    expect(again.paymentCode).toBe('bank_transfer')
    expect(again.draft.city).toBe('Sevilla')
    expect(again.missingBefore('review')).toBe('address') // nothing counts until the server's lists are back
    await again.load()
    expect(again.missingBefore('review')).toBeNull()
  })

  it('does not count an address the server no longer has', async () => {
    sessionStorage.setItem(CHECKOUT_KEY, JSON.stringify({ addressId: 77, pickupOnly: false, shippingMethodId: 2, paymentCode: 'bank_transfer' }))
    services([])
    const checkout = refresh()
    await checkout.load()
    expect(checkout.missingBefore('review')).toBe('address')
  })

  it('offers only the payment methods that fit the shipping kind and drops one that stops fitting', async () => {
    services()
    const checkout = useCheckoutStore()
    await checkout.load()
    checkout.chooseShipping(1)
    expect(checkout.paymentOptions.map((m) => m.code)).toEqual(['cash_on_pickup', 'bank_transfer'])
    checkout.choosePayment('cash_on_pickup')
    checkout.chooseShipping(2)
    expect(checkout.paymentOptions.map((m) => m.code)).toEqual(['cash_on_delivery', 'bank_transfer'])
    expect(checkout.paymentCode).toBeNull()
  })

  it('without an address allows pickup only', async () => {
    services([])
    const checkout = useCheckoutStore()
    await checkout.load()
    expect(checkout.missingBefore('shipping')).toBe('address')
    checkout.choosePickup()
    checkout.chooseShipping(2)
    expect(checkout.done.shipping).toBe(false)
    checkout.chooseShipping(1)
    checkout.choosePayment('cash_on_pickup')
    expect(checkout.missingBefore('review')).toBeNull()
    expect(checkout.request).toEqual({ address_id: null, shipping_method_id: 1, payment_method: 'cash_on_pickup' })
  })

  it('saves a typed address at the server, chooses it and forgets the draft', async () => {
    const fetch = services([])
    const checkout = useCheckoutStore()
    await checkout.load()
    Object.assign(checkout.draft, { name: 'Bo', phone: '+34 611', line1: 'Gran Vía 2', city: 'Madrid', postal_code: '28013', country: 'es ' })
    await checkout.saveDraft()
    const post = fetch.mock.calls.find((c) => c[0] === '/api/addresses' && c[1]?.method === 'POST')
    expect(bodyOf(post?.[1])).toEqual({
      name: 'Bo', phone: '+34 611', line1: 'Gran Vía 2', line2: null, city: 'Madrid', region: null,
      postal_code: '28013', country: 'ES', is_default: false,
    })
    expect(checkout.addressId).toBe(6)
    expect(checkout.draft.name).toBe('')
    expect(JSON.parse(sessionStorage.getItem(CHECKOUT_KEY)!).draft.name).toBe('')
  })

  it('quotes and places the order with the choices, then forgets them', async () => {
    const fetch = services()
    const checkout = useCheckoutStore()
    const cart = useCartStore()
    await checkout.load()
    checkout.chooseShipping(2)
    checkout.choosePayment('bank_transfer')
    const choices = { address_id: 5, shipping_method_id: 2, payment_method: 'bank_transfer' }

    await checkout.fetchQuote()
    expect(checkout.quote?.total).toBe('34.90')
    const quoteCall = fetch.mock.calls.filter((c) => c[0] === '/api/cart/quote').at(-1)
    expect(bodyOf(quoteCall?.[1])).toEqual(choices)

    await expect(checkout.place()).resolves.toMatchObject({ order_id: 9 })
    const placed = fetch.mock.calls.find((c) => c[0] === '/api/cart/checkout')
    expect(bodyOf(placed?.[1])).toEqual(choices)
    expect(headerOf(placed?.[1], 'Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(cart.isEmpty).toBe(true)
    expect(checkout.shippingMethodId).toBeNull()
    expect(sessionStorage.getItem(CHECKOUT_KEY)).toBeNull()
  })

  it('a changed choice after a failed attempt takes a new Idempotency-Key', async () => {
    services()
    const checkout = useCheckoutStore()
    const cart = useCartStore()
    await checkout.load()
    checkout.chooseShipping(2)
    cart.checkoutKey = 'kept-for-retry'
    checkout.choosePayment('bank_transfer')
    expect(cart.checkoutKey).toBeNull()
  })
})
