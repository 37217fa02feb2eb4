import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ApiError, configureSession, request } from '@/api/client'
import { REFRESH_TOKEN_KEY, TOKEN_KEY, connectSession, useAuthStore } from '@/stores/auth'
import { productsApi } from '@/api/products'
import { authApi } from '@/api/auth'
import { bodyOf, headerOf, json, makeJwt, mockFetch } from './helpers'

const OLD = makeJwt({ jti: 'old' })
const NEW = makeJwt({ jti: 'new' })
const PAIR = { access_token: NEW, refresh_token: 'r2', token_type: 'bearer', expires_in: 3600 }

describe('api client', () => {
  const onUnauthorized = vi.fn()

  // The client with the session of the auth store, as main.ts connects them.
  beforeEach(() => {
    localStorage.clear()
    onUnauthorized.mockReset()
    setActivePinia(createPinia())
    connectSession(onUnauthorized)
  })
  afterEach(() => configureSession(null))

  it('attaches the bearer token from localStorage', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    const fetch = mockFetch(() => json(200, { ok: true }))
    await request('/api/cart')
    expect(headerOf(fetch.mock.calls[0][1], 'Authorization')).toBe(`Bearer ${OLD}`)
  })

  it('sends no token on the open auth endpoints', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    const fetch = mockFetch(() => json(200, PAIR))
    await authApi.login('a@b.co', 'secret123')
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/auth/login')
    expect(headerOf(init, 'Authorization')).toBeUndefined()
    expect(bodyOf(init)).toEqual({ email: 'a@b.co', password: 'secret123' })
  })

  it('on 401 refreshes the tokens and retries once with the new token', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch((url, init) => {
      if (url === '/auth/token/refresh') return json(200, PAIR)
      return headerOf(init, 'Authorization') === `Bearer ${NEW}`
        ? json(200, { items: [] })
        : json(401, { error: { code: 'token_expired', message: 'Token expirado' } })
    })

    await expect(request('/api/orders')).resolves.toEqual({ items: [] })

    const urls = fetch.mock.calls.map((c) => c[0])
    expect(urls).toEqual(['/api/orders', '/auth/token/refresh', '/api/orders'])
    expect(bodyOf(fetch.mock.calls[1][1])).toEqual({ refresh_token: 'r1' })
    expect(localStorage.getItem(TOKEN_KEY)).toBe(NEW)
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe('r2')
    expect(useAuthStore().token).toBe(NEW)
    expect(useAuthStore().refreshToken).toBe('r2')
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('shares one refresh between concurrent 401s (a rotated token is used once)', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch((url, init) => {
      if (url === '/auth/token/refresh') return json(200, PAIR)
      return headerOf(init, 'Authorization') === `Bearer ${NEW}` ? json(200, {}) : json(401, {})
    })
    await Promise.all([request('/api/cart'), request('/api/orders'), request('/api/products')])
    expect(fetch.mock.calls.filter((c) => c[0] === '/auth/token/refresh')).toHaveLength(1)
  })

  it('logs out when the refresh token is refused', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'revoked')
    mockFetch((url) =>
      url === '/auth/token/refresh'
        ? json(401, { error: { code: 'invalid_token', message: 'Refresh token revoked' } })
        : json(401, { error: { code: 'token_expired', message: 'Token expirado' } }),
    )

    const error = await request('/api/cart').catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(401)
    expect((error as ApiError).message).toMatch(/session has expired/i)
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull()
    expect(onUnauthorized).toHaveBeenCalledWith({ hadSession: true })
  })

  it('retries only once: a second 401 after a good refresh logs out', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch((url) => (url === '/auth/token/refresh' ? json(200, PAIR) : json(401, {})))
    await expect(request('/api/cart')).rejects.toBeInstanceOf(ApiError)
    expect(fetch).toHaveBeenCalledTimes(3)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
  })

  it('refreshes an already expired access token before sending the request', async () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({}, -60))
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch((url) => (url === '/auth/token/refresh' ? json(200, PAIR) : json(200, { id: 1 })))
    await request('/auth/me')
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/auth/token/refresh', '/auth/me'])
    expect(headerOf(fetch.mock.calls[1][1], 'Authorization')).toBe(`Bearer ${NEW}`)
  })

  it('does not refresh on a 401 from login (wrong password)', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch(() => json(401, { error: { code: 'invalid_credentials', message: 'Invalid email or password' } }))
    await expect(authApi.login('a@b.co', 'nope')).rejects.toMatchObject({ status: 401, message: 'Invalid email or password' })
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('turns the error envelope into an ApiError with code, status, message and details', async () => {
    const details = { short: [{ product_id: 7, requested: 3, available: 1 }] }
    mockFetch(() => json(409, { error: { code: 'insufficient_stock', message: 'Not enough stock', details } }))
    await expect(request('/api/cart/checkout', { method: 'POST' })).rejects.toMatchObject({
      name: 'ApiError',
      status: 409,
      code: 'insufficient_stock',
      message: 'Not enough stock',
      details,
    })
  })

  it('reads FastAPI validation errors and non-JSON failures', async () => {
    mockFetch(() => json(422, { detail: [{ loc: ['body', 'email'], msg: 'value is not a valid email' }] }))
    await expect(request('/auth/register', { method: 'POST', auth: false })).rejects.toThrow('email: value is not a valid email')

    // The services' envelope: the message names the first field, the details list every one.
    const details = [
      { loc: ['body', 'username'], msg: 'String should have at least 3 characters', type: 'string_too_short' },
      { loc: ['body', 'name'], msg: 'String should have at least 1 character', type: 'string_too_short' },
    ]
    mockFetch(() => json(422, { error: { code: 'validation_error', message: 'username: String should have at least 3 characters', details } }))
    await expect(request('/auth/register', { method: 'POST', auth: false })).rejects.toMatchObject({
      code: 'validation_error',
      message: 'username: String should have at least 3 characters; name: String should have at least 1 character',
    })
    const range = [{ loc: ['query'], msg: 'Value error, min_price must not exceed max_price', type: 'value_error' }]
    mockFetch(() => json(422, { error: { code: 'validation_error', message: 'Value error, min_price must not exceed max_price', details: range } }))
    await expect(request('/api/products')).rejects.toThrow(/^min_price must not exceed max_price$/)

    mockFetch(() => new Response('<html>Bad Gateway</html>', { status: 502 }))
    await expect(request('/api/products')).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/temporarily unavailable/) })
  })

  it('reports an unreachable server as a network error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(request('/api/products')).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })

  it('sends catalog filters as query parameters', async () => {
    const page = { items: [], total: 0, page: 2, page_size: 12 }
    const fetch = mockFetch(() => json(200, page))
    const res = await productsApi.list({
      page: 2, page_size: 12, q: 'lap top', sort: 'stock', in_stock: true, min_price: '10', features: { color: 'red' },
    })
    const url = new URL(fetch.mock.calls[0][0], 'http://x')
    expect(url.pathname).toBe('/api/products')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      page: '2', page_size: '12', q: 'lap top', sort: 'stock', in_stock: 'true', min_price: '10', 'feature.color': 'red',
    })
    expect(res).toEqual(page)
  })

  it('sends products as multipart form data with features as JSON', async () => {
    const fetch = mockFetch(() => json(201, { id: 1 }))
    const image = new File(['x'], 'laptop.png', { type: 'image/png' })
    await productsApi.create({ name: 'Laptop', price: '1500.00', stock: 10, features: { ram: '16GB' }, image })
    const form = fetch.mock.calls[0][1]?.body as FormData
    expect(form.get('name')).toBe('Laptop')
    expect(form.get('price')).toBe('1500.00')
    expect(form.get('stock')).toBe('10')
    expect(JSON.parse(form.get('features') as string)).toEqual({ ram: '16GB' })
    expect((form.get('image') as File).name).toBe('laptop.png')
    expect(headerOf(fetch.mock.calls[0][1], 'Content-Type')).toBeUndefined()
  })
})
