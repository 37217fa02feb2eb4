import { paths, request } from './client'
import type {
  Address,
  AddressCreate,
  PaymentMethod,
  PaymentMethodUpdate,
  ShippingMethod,
  ShippingMethodCreate,
  ShippingMethodUpdate,
} from './types'

/** The caller's own address book. */
export const addressesApi = {
  list: () => request<Address[]>(paths.addresses),
  create: (body: AddressCreate) => request<Address>(paths.addresses, { method: 'POST', json: body }),
  remove: (id: number) => request<void>(`${paths.addresses}/${id}`, { method: 'DELETE' }),
}

/** Shipping methods: anyone reads the active ones; admins manage them all. */
export const shippingApi = {
  list: (includeInactive = false) =>
    request<ShippingMethod[]>(paths.shippingMethods, { query: { include_inactive: includeInactive || undefined } }),
  create: (body: ShippingMethodCreate) => request<ShippingMethod>(paths.shippingMethods, { method: 'POST', json: body }),
  update: (id: number, body: ShippingMethodUpdate) =>
    request<ShippingMethod>(`${paths.shippingMethods}/${id}`, { method: 'PATCH', json: body }),
  deactivate: (id: number) => request<void>(`${paths.shippingMethods}/${id}`, { method: 'DELETE' }),
}

/** Payment methods: anyone reads the enabled ones; admins set instructions and switch them on or off. */
export const paymentsApi = {
  list: (includeDisabled = false) =>
    request<PaymentMethod[]>(paths.paymentMethods, { query: { include_disabled: includeDisabled || undefined } }),
  update: (code: string, body: PaymentMethodUpdate) =>
    request<PaymentMethod>(`${paths.paymentMethods}/${code}`, { method: 'PATCH', json: body }),
}
