import { paths, request } from './client'
import type { MovementPage, StockLevel, StockMovementInput, StockSet } from './types'

const p = paths.inventory

export const inventoryApi = {
  get: (productId: number) => request<StockLevel>(`${p}/${productId}`),
  setStock: (productId: number, stock: number) =>
    request<StockLevel>(p, { method: 'POST', json: { product_id: productId, stock } satisfies StockSet }),
  recordMovement: (input: StockMovementInput) => request<StockLevel>(p, { method: 'POST', json: input }),
  movements: (productId: number, page = 1, pageSize = 20) =>
    request<MovementPage>(`${p}/${productId}/movements`, { query: { page, page_size: pageSize } }),
}
