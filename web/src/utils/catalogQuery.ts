import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { ProductQuery, ProductSort } from '@/api/types'

/** The catalog's filters as the form edits them; the URL query is where they live. */
export interface CatalogFilters {
  q: string
  min_price: string
  max_price: string
  sort: ProductSort | ''
  /** Only products with at least one unit (the API's `in_stock`). */
  in_stock: boolean
  featureKey: string
  featureValue: string
}

export const SORTS: { value: ProductSort | ''; label: string }[] = [
  { value: '', label: 'Default' },
  { value: '-created_at', label: 'Newest' },
  { value: 'price', label: 'Price: low to high' },
  { value: '-price', label: 'Price: high to low' },
  { value: 'name', label: 'Name' },
  { value: 'stock', label: 'Availability' },
]

export const PAGE_SIZE = 12

const first = (v: LocationQuery[string]): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')) || ''

export function filtersFromQuery(query: LocationQuery): CatalogFilters {
  const feature = Object.keys(query).find((k) => k.startsWith('feature.'))
  const sort = first(query.sort)
  return {
    q: first(query.q),
    min_price: first(query.min_price),
    max_price: first(query.max_price),
    sort: SORTS.some((s) => s.value === sort) ? (sort as ProductSort | '') : '',
    in_stock: first(query.in_stock) === 'true',
    featureKey: feature ? feature.slice('feature.'.length) : '',
    featureValue: feature ? first(query[feature]) : '',
  }
}

export function queryFromFilters(f: CatalogFilters, page = 1): LocationQueryRaw {
  const query: LocationQueryRaw = {}
  if (f.q.trim()) query.q = f.q.trim()
  if (f.min_price) query.min_price = f.min_price
  if (f.max_price) query.max_price = f.max_price
  if (f.sort) query.sort = f.sort
  if (f.in_stock) query.in_stock = 'true'
  if (f.featureKey.trim() && f.featureValue.trim()) query[`feature.${f.featureKey.trim()}`] = f.featureValue.trim()
  if (page > 1) query.page = String(page)
  return query
}

export function apiQueryFromRoute(query: LocationQuery): ProductQuery {
  const f = filtersFromQuery(query)
  const page = Math.max(1, Number.parseInt(first(query.page), 10) || 1)
  const features: Record<string, string> = {}
  for (const key of Object.keys(query)) {
    if (key.startsWith('feature.') && first(query[key])) features[key.slice(8)] = first(query[key])
  }
  return {
    page,
    page_size: PAGE_SIZE,
    q: f.q || undefined,
    min_price: f.min_price || undefined,
    max_price: f.max_price || undefined,
    sort: f.sort || undefined,
    in_stock: f.in_stock || undefined,
    features,
  }
}

/** A message for the first problem in the filters, or null. */
export function validateFilters(f: CatalogFilters): string | null {
  const isPrice = (v: string) => v === '' || (/^\d+(\.\d{1,2})?$/.test(v))
  if (!isPrice(f.min_price) || !isPrice(f.max_price)) return 'Prices must be numbers like 10 or 10.50.'
  if (f.min_price && f.max_price && Number(f.min_price) > Number(f.max_price))
    return 'The minimum price cannot be above the maximum price.'
  if (!!f.featureKey.trim() !== !!f.featureValue.trim()) return 'Give both a feature name and a value, or neither.'
  return null
}
