import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { authApi } from '@/api/auth'
import { ApiError, configureSession, request } from '@/api/client'
import { REFRESH_TOKEN_KEY, TOKEN_KEY, connectSession, useAuthStore } from '@/stores/auth'
import { headerOf, json, makeJwt, mockFetch } from './helpers'

const OLD = makeJwt({ jti: 'old' })
const NEW = makeJwt({ jti: 'new' })
const PAIR = { access_token: NEW, refresh_token: 'r2', token_type: 'bearer', expires_in: 3600 }
const EXPIRED = { error: { code: 'token_expired', message: 'Token expirado' } }

describe('the client asks the auth store for the session', () => {
  const onLost = vi.fn()

  beforeEach(() => {
    localStorage.clear()
    onLost.mockReset()
    setActivePinia(createPinia())
  })
  afterEach(() => configureSession(null))

  const signedIn = () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    connectSession(onLost)
    return useAuthStore()
  }

  it('sends the token the session gives, and reads no storage of its own', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    const fetch = mockFetch(() => json(200, {}))
    configureSession({ accessToken: () => 'from-session', expiresSoon: () => false, refresh: async () => false, onSessionLost: () => {} })
    await request('/api/cart')
    configureSession(null)
    await request('/api/cart')
    expect(headerOf(fetch.mock.calls[0][1], 'Authorization')).toBe('Bearer from-session')
    expect(headerOf(fetch.mock.calls[1][1], 'Authorization')).toBeUndefined()
  })

  it('concurrent 401s each ask the store, which makes one rotation; then each retries with the new token', async () => {
    const auth = signedIn()
    const refresh = vi.spyOn(auth, 'refresh')
    const rotate = vi.spyOn(authApi, 'refresh')
    const fetch = mockFetch((url, init) => {
      if (url === '/auth/token/refresh') return json(200, PAIR)
      return headerOf(init, 'Authorization') === `Bearer ${NEW}` ? json(200, {}) : json(401, EXPIRED)
    })

    await Promise.all([request('/api/cart'), request('/api/orders'), request('/api/products')])

    expect(fetch.mock.calls.filter((c) => c[0] === '/auth/token/refresh')).toHaveLength(1)
    expect(refresh).toHaveBeenCalledTimes(3)
    expect(rotate).toHaveBeenCalledTimes(1)
    expect(rotate).toHaveBeenCalledWith('r1')
    const retries = fetch.mock.calls.filter((c) => headerOf(c[1], 'Authorization') === `Bearer ${NEW}`)
    expect(retries.map((c) => c[0]).sort()).toEqual(['/api/cart', '/api/orders', '/api/products'])
    expect(auth.token).toBe(NEW)
    expect(onLost).not.toHaveBeenCalled()
  })

  it("logs out through the store when the store's refresh fails", async () => {
    const auth = signedIn()
    const refresh = vi.spyOn(auth, 'refresh').mockResolvedValue(false)
    const fetch = mockFetch(() => json(401, EXPIRED))

    const error = await request('/api/cart').catch((e: unknown) => e)

    expect(error).toMatchObject({ status: 401, message: expect.stringMatching(/session has expired/i) })
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(onLost).toHaveBeenCalledWith({ hadSession: true })
    expect(auth.isAuthenticated).toBe(false)
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull()
  })

  it('keeps the session when the auth service cannot be reached for the refresh', async () => {
    const auth = signedIn()
    mockFetch((url) => (url === '/auth/token/refresh' ? Promise.reject(new TypeError('Failed to fetch')) : json(401, EXPIRED)))

    await expect(request('/api/cart')).rejects.toMatchObject({ status: 0, code: 'network_error' })

    expect(onLost).not.toHaveBeenCalled()
    expect(auth.token).toBe(OLD)
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe('r1')
  })

  it('a token about to expire whose refresh is refused ends the session before the request is sent', async () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({}, 5))
    localStorage.setItem(REFRESH_TOKEN_KEY, 'revoked')
    connectSession(onLost)
    const fetch = mockFetch(() => json(401, { error: { code: 'invalid_token', message: 'Refresh token revoked' } }))

    await expect(request('/api/orders')).rejects.toBeInstanceOf(ApiError)

    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/auth/token/refresh'])
    expect(onLost).toHaveBeenCalledWith({ hadSession: true })
    expect(useAuthStore().isAuthenticated).toBe(false)
  })
})

describe('auth store refresh', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('takes the tokens another tab rotated while its own refresh was refused', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const auth = useAuthStore()
    mockFetch(() => {
      localStorage.setItem(TOKEN_KEY, NEW)
      localStorage.setItem(REFRESH_TOKEN_KEY, 'r-other-tab')
      return json(401, { error: { code: 'invalid_token', message: 'Refresh token already used' } })
    })

    await expect(auth.refresh()).resolves.toBe(true)

    expect(auth.token).toBe(NEW)
    expect(auth.refreshToken).toBe('r-other-tab')
  })

  it('without a refresh token there is nothing to refresh and no call', async () => {
    localStorage.setItem(TOKEN_KEY, OLD)
    const fetch = mockFetch(() => json(200, PAIR))
    await expect(useAuthStore().refresh()).resolves.toBe(false)
    expect(fetch).not.toHaveBeenCalled()
  })
})
