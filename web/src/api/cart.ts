import { paths, request } from './client'
import type { Cart, CartItemCreate, CartItemUpdate, CheckoutRequest, CheckoutResult, Quote } from './types'

const p = paths.cart

export const cartApi = {
  get: () => request<Cart>(p),
  add: (productId: number, quantity: number) =>
    request<Cart>(p, { method: 'POST', json: { product_id: productId, quantity } satisfies CartItemCreate }),
  setQuantity: (itemId: number, quantity: number) =>
    request<Cart>(`${p}/items/${itemId}`, { method: 'PATCH', json: { quantity } satisfies CartItemUpdate }),
  removeItem: (itemId: number) => request<Cart>(`${p}/items/${itemId}`, { method: 'DELETE' }),
  empty: () => request<Cart>(p, { method: 'DELETE' }),
  /** What the cart would cost with these choices; nothing is placed. */
  quote: (choices: CheckoutRequest) => request<Quote>(`${p}/quote`, { method: 'POST', json: choices }),
  /** No choices: the original flow (pickup in store, paid on pickup). */
  checkout: (idempotencyKey: string, choices?: CheckoutRequest) =>
    request<CheckoutResult>(`${p}/checkout`, {
      method: 'POST',
      json: choices,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
}
