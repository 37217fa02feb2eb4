import { paths, request } from './client'
import type { Order, OrderFilters, OrderPage, ShipBody } from './types'

const p = paths.orders
const admin = paths.adminOrders
const note = (text?: string) => ({ note: text?.trim() || null })

export const ordersApi = {
  list: (page = 1, pageSize = 20, all = false) =>
    request<OrderPage>(p, { query: { page, page_size: pageSize, all: all || undefined } }),
  get: (id: number | string) => request<Order>(`${p}/${id}`),
  cancel: (id: number) => request<Order>(`${p}/${id}/cancel`, { method: 'POST' }),
}

/** Fulfilment (admin): the filtered list, its CSV export, one call per action. */
export const fulfilmentApi = {
  list: (filters: OrderFilters, page = 1, pageSize = 20) =>
    request<OrderPage>(admin, { query: { ...filters, page, page_size: pageSize } }),
  get: (id: number | string) => request<Order>(`${admin}/${id}`),
  /** The CSV of every order matching `filters` (the whole file, not a page). */
  exportCsv: (filters: OrderFilters) =>
    request<string>(`${admin}/export.csv`, { query: filters, headers: { Accept: 'text/csv' } }),
  markPaid: (id: number, text?: string) => request<Order>(`${admin}/${id}/mark-paid`, { method: 'POST', json: note(text) }),
  ship: (id: number, body: ShipBody) => request<Order>(`${admin}/${id}/ship`, { method: 'POST', json: body }),
  deliver: (id: number, text?: string) => request<Order>(`${admin}/${id}/deliver`, { method: 'POST', json: note(text) }),
  cancel: (id: number, text?: string) => request<Order>(`${admin}/${id}/cancel`, { method: 'POST', json: note(text) }),
}
