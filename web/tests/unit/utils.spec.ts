import { describe, expect, it } from 'vitest'
import { apiQueryFromRoute, filtersFromQuery, queryFromFilters, validateFilters } from '@/utils/catalogQuery'
import { featuresFromRows, rowsFromFeatures, validateRows } from '@/utils/features'
import { formatMoney, sentence, stockLabel } from '@/utils/format'
import { newUuid } from '@/utils/uuid'
import { readClaims, secondsLeft } from '@/utils/jwt'
import { makeJwt } from './helpers'

describe('catalog query', () => {
  it('round-trips filters through the URL query and into API parameters', () => {
    const filters = { q: ' laptop ', min_price: '10', max_price: '2000.50', sort: '-price' as const, in_stock: false, featureKey: 'color', featureValue: 'red' }
    const query = queryFromFilters(filters, 3)
    expect(query).toEqual({ q: 'laptop', min_price: '10', max_price: '2000.50', sort: '-price', 'feature.color': 'red', page: '3' })
    expect(filtersFromQuery(query as never)).toEqual({ ...filters, q: 'laptop' })
    expect(apiQueryFromRoute(query as never)).toMatchObject({ page: 3, q: 'laptop', sort: '-price', features: { color: 'red' } })
  })

  it('keeps "in stock only" and the availability sort in the URL and sends them to the API', () => {
    const filters = { q: '', min_price: '', max_price: '', sort: 'stock' as const, in_stock: true, featureKey: '', featureValue: '' }
    const query = queryFromFilters(filters)
    expect(query).toEqual({ sort: 'stock', in_stock: 'true' })
    expect(filtersFromQuery(query as never)).toEqual(filters)
    expect(apiQueryFromRoute(query as never)).toMatchObject({ sort: 'stock', in_stock: true })
    expect(apiQueryFromRoute({} as never).in_stock).toBeUndefined()
  })

  it('rejects bad prices, an inverted range and half a feature filter', () => {
    const base = { q: '', min_price: '', max_price: '', sort: '' as const, in_stock: false, featureKey: '', featureValue: '' }
    expect(validateFilters(base)).toBeNull()
    expect(validateFilters({ ...base, min_price: 'abc' })).toMatch(/numbers/)
    expect(validateFilters({ ...base, min_price: '50', max_price: '10' })).toMatch(/minimum/)
    expect(validateFilters({ ...base, featureKey: 'color' })).toMatch(/both/)
  })
})

describe('features editor rows', () => {
  it('keeps the type of existing non-string values and sends new ones as text', () => {
    const original = { ram: 16, wifi: true, color: 'red' }
    const rows = rowsFromFeatures(original)
    expect(rows).toEqual([{ key: 'ram', value: '16' }, { key: 'wifi', value: 'true' }, { key: 'color', value: 'red' }])
    rows.push({ key: ' size ', value: '15"' }, { key: '', value: '' })
    expect(featuresFromRows(rows, original)).toEqual({ ram: 16, wifi: true, color: 'red', size: '15"' })
  })

  it('finds duplicate and nameless features', () => {
    expect(validateRows([{ key: 'a', value: '1' }, { key: 'a', value: '2' }])).toMatch(/twice/)
    expect(validateRows([{ key: '', value: 'x' }])).toMatch(/name/)
  })
})

describe('formatting', () => {
  it('shows money and stock the way the cards do', () => {
    expect(formatMoney('1500.00', 'USD')).toBe('$1,500.00')
    expect(stockLabel(0)).toBe('Out of stock')
    expect(stockLabel(3)).toBe('Only 3 left')
    expect(stockLabel(50)).toBe('In stock')
    expect(stockLabel(null)).toBe('Availability unknown')
  })

  it('ends a server message as a sentence before more text follows', () => {
    expect(sentence('Not enough stock for some items in your cart')).toBe('Not enough stock for some items in your cart.')
    expect(sentence('Inventory is unavailable.')).toBe('Inventory is unavailable.')
    expect(sentence('Are you sure?')).toBe('Are you sure?')
  })

  it('makes v4 UUIDs', () => {
    expect(newUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})

describe('jwt', () => {
  it('reads the claims of a token and the seconds it has left', () => {
    const claims = readClaims(makeJwt({ role: 'admin', user_id: 9 }, 600))
    expect(claims).toMatchObject({ role: 'admin', user_id: 9 })
    expect(secondsLeft(claims)).toBeGreaterThan(590)
    expect(secondsLeft(readClaims(makeJwt({}, -10)))).toBeLessThan(0)
  })

  it('gives null for no token, a token that is not a JWT, or no expiry', () => {
    expect(readClaims(null)).toBeNull()
    expect(readClaims('garbage')).toBeNull()
    expect(secondsLeft(null)).toBeNull()
  })
})
