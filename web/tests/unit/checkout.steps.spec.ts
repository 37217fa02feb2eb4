import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, h, type App } from 'vue'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { RouterView } from 'vue-router'
import { router } from '@/router'
import { TOKEN_KEY } from '@/stores/auth'
import { CHECKOUT_KEY } from '@/stores/checkout'
import { json, makeJwt, mockFetch } from './helpers'

const CART = { id: 1, items: [{ id: 10, product_id: 7, name: 'Lamp', unit_price: '12.50', quantity: 2, line_total: '25.00', stock: 5, available: true }], total: '25.00' }
const PICKUP = { id: 1, name: 'Pickup in store', price: '0.00', free_above: null, pickup: true, active: true, is_default: true }
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

async function until(condition: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached; at ${router.currentRoute.value.fullPath}: ${document.body.innerHTML}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('checkout steps in the router', { timeout: 20_000 }, () => {
  let app: App | null = null
  let pinia: Pinia

  beforeEach(async () => {
    localStorage.clear()
    sessionStorage.clear()
    localStorage.setItem(TOKEN_KEY, makeJwt({}))
    document.body.innerHTML = '<div id="app"></div>'
    pinia = createPinia()
    setActivePinia(pinia)
    await router.push('/login?redirect=elsewhere') // the router is one for the module: leave the last test's route
  })
  afterEach(() => {
    app?.unmount()
    app = null
  })

  async function open(path: string) {
    app = createApp({ render: () => h(RouterView) }).use(pinia).use(router)
    app.mount('#app')
    await router.push(path)
  }

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
