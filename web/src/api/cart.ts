import { paths, request } from './client'
import type { Cart, CheckoutResult } from './types'

const p = paths.cart

export const cartApi = {
  get: () => request<Cart>(p),
  add: (productId: number, quantity: number) =>
    request<Cart>(p, { method: 'POST', json: { product_id: productId, quantity } }),
  setQuantity: (itemId: number, quantity: number) =>
    request<Cart>(`${p}/items/${itemId}`, { method: 'PATCH', json: { quantity } }),
  removeItem: (itemId: number) => request<Cart>(`${p}/items/${itemId}`, { method: 'DELETE' }),
  empty: () => request<Cart>(p, { method: 'DELETE' }),
  checkout: (idempotencyKey: string) =>
    request<CheckoutResult>(`${p}/checkout`, { method: 'POST', headers: { 'Idempotency-Key': idempotencyKey } }),
}
