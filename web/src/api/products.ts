import { paths, request } from './client'
import type { Product, ProductInput, ProductPage, ProductQuery } from './types'

const p = paths.products

function toForm(input: ProductInput): FormData {
  const form = new FormData()
  if (input.name !== undefined) form.append('name', input.name)
  if (input.price !== undefined) form.append('price', input.price)
  if (input.description !== undefined) form.append('description', input.description)
  if (input.stock !== undefined) form.append('stock', String(input.stock))
  if (input.features !== undefined) form.append('features', JSON.stringify(input.features))
  if (input.image) form.append('image', input.image, input.image.name)
  return form
}

export const productsApi = {
  async list(query: ProductQuery = {}): Promise<ProductPage> {
    const { features, ...rest } = query
    const params: Record<string, string | number | boolean | null | undefined> = { ...rest }
    for (const [key, value] of Object.entries(features ?? {})) params[`feature.${key}`] = value
    return request<ProductPage>(p, { query: params })
  },
  get: (id: number | string) => request<Product>(`${p}/${id}`),
  create: (input: ProductInput) => request<Product>(p, { method: 'POST', form: toForm(input) }),
  update: (id: number | string, input: ProductInput) =>
    request<Product>(`${p}/${id}`, { method: 'POST', form: toForm(input) }),
  remove: (id: number | string) => request<void>(`${p}/${id}`, { method: 'DELETE' }),
}
