import { paths, request } from './client'
import type { Movement, Page, StockLevel, StockMovementInput } from './types'

const p = paths.inventory

export const inventoryApi = {
  get: (productId: number) => request<StockLevel>(`${p}/${productId}`),
  setStock: (productId: number, stock: number) =>
    request<StockLevel>(p, { method: 'POST', json: { product_id: productId, stock } }),
  recordMovement: (input: StockMovementInput) => request<unknown>(p, { method: 'POST', json: input }),
  movements: (productId: number, page = 1, pageSize = 20) =>
    request<Page<Movement>>(`${p}/${productId}/movements`, { query: { page, page_size: pageSize } }),
}
