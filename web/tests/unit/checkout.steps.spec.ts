import { describe, expect, it } from 'vitest'
import { router } from '@/router'
import { CHECKOUT_KEY } from '@/stores/checkout'
import { json, mockFetch, routedPages, until } from './helpers'

const CART = { id: 1, items: [{ id: 10, product_id: 7, name: 'Lamp', unit_price: '12.50', quantity: 2, line_total: '25.00', stock: 5, available: true }], total: '25.00', currency: 'EUR' }
const PICKUP = { id: 1, name: 'Pickup in store', price: '0.00', free_above: null, currency: 'EUR', pickup: true, active: true, is_default: true }
const PAYMENTS = [{ code: 'cash_on_pickup', name: 'Cash on pickup', enabled: true, instructions: null, fits: ['pickup'] }]
const QUOTE = {
  subtotal: '25.00', shipping_total: '0.00', total: '25.00', currency: 'EUR',
  shipping: { method_id: 1, name: 'Pickup in store', price: '0.00', pickup: true },
  payment: { method: 'cash_on_pickup', name: 'Cash on pickup', instructions: null, status: 'unpaid' },
}

function services(cart = CART) {
  return mockFetch((url) => {
    if (url === '/api/cart') return json(200, cart)
    if (url === '/api/addresses') return json(200, [])
    if (url.startsWith('/api/shipping-methods')) return json(200, [PICKUP])
    if (url.startsWith('/api/payment-methods')) return json(200, PAYMENTS)
    if (url === '/api/cart/quote') return json(200, QUOTE)
    return json(404, { error: { code: 'not_found', message: url } })
  })
}

describe('checkout steps in the router', { timeout: 20_000 }, () => {
  const { open } = routedPages()

  it('sends a visit to a later step back to the first step that is not done', async () => {
    services()
    sessionStorage.setItem(CHECKOUT_KEY, JSON.stringify({ addressId: null, pickupOnly: true, shippingMethodId: null, paymentCode: null }))
    await open('/checkout/review')
    await until(() => router.currentRoute.value.name === 'checkout-shipping')
  })

  it('opens the review after a refresh when every earlier step is kept', async () => {
    services()
    sessionStorage.setItem(CHECKOUT_KEY, JSON.stringify({ addressId: null, pickupOnly: true, shippingMethodId: 1, paymentCode: 'cash_on_pickup' }))
    await open('/checkout/review')
    await until(() => document.querySelector('[data-testid="quote-total"]') !== null)
    expect(router.currentRoute.value.name).toBe('checkout-review')
    expect(document.querySelector('[data-testid="quote-total"]')?.textContent).toBe('€25.00')
  })

  it('sends an empty cart back to the cart', async () => {
    services({ ...CART, items: [], total: '0.00' })
    await open('/checkout/address')
    await until(() => router.currentRoute.value.name === 'cart')
  })
})
