import { paths, request } from './client'
import type { Order, OrderPage } from './types'

const p = paths.orders

export const ordersApi = {
  list: (page = 1, pageSize = 20, all = false) =>
    request<OrderPage>(p, { query: { page, page_size: pageSize, all: all || undefined } }),
  get: (id: number | string) => request<Order>(`${p}/${id}`),
  cancel: (id: number) => request<Order>(`${p}/${id}/cancel`, { method: 'POST' }),
}
