import { paths, request } from './client'
import type { Cart, CartItemCreate, CartItemUpdate, CheckoutResult } from './types'

const p = paths.cart

export const cartApi = {
  get: () => request<Cart>(p),
  add: (productId: number, quantity: number) =>
    request<Cart>(p, { method: 'POST', json: { product_id: productId, quantity } satisfies CartItemCreate }),
  setQuantity: (itemId: number, quantity: number) =>
    request<Cart>(`${p}/items/${itemId}`, { method: 'PATCH', json: { quantity } satisfies CartItemUpdate }),
  removeItem: (itemId: number) => request<Cart>(`${p}/items/${itemId}`, { method: 'DELETE' }),
  empty: () => request<Cart>(p, { method: 'DELETE' }),
  checkout: (idempotencyKey: string) =>
    request<CheckoutResult>(`${p}/checkout`, { method: 'POST', headers: { 'Idempotency-Key': idempotencyKey } }),
}
