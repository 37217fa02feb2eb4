import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { REFRESH_TOKEN_KEY, TOKEN_KEY, useAuthStore } from '@/stores/auth'
import { bodyOf, headerOf, json, makeJwt, mockFetch } from './helpers'

const ME = { id: 1, username: 'ana', name: 'Ana', email: 'ana@example.com', role: 'user', is_verified: true, created_at: '2026-01-01T00:00:00Z' }

describe('auth store', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('login stores both tokens in localStorage and decodes the role', async () => {
    const access = makeJwt({ sub: 'boss@example.com', role: 'admin', user_id: 9 })
    const fetch = mockFetch((url) =>
      url === '/auth/login'
        ? json(200, { access_token: access, refresh_token: 'r1', token_type: 'bearer', expires_in: 3600 })
        : json(200, { ...ME, role: 'admin' }),
    )
    const auth = useAuthStore()

    await auth.login('boss@example.com', 'password123')

    expect(bodyOf(fetch.mock.calls[0][1])).toEqual({ email: 'boss@example.com', password: 'password123' })
    expect(localStorage.getItem(TOKEN_KEY)).toBe(access)
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe('r1')
    expect(auth.token).toBe(access)
    expect(auth.refreshToken).toBe('r1')
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.role).toBe('admin')
    expect(auth.isAdmin).toBe(true)
    expect(auth.claims?.user_id).toBe(9)
  })

  it('a refused login (unverified account) keeps the user logged out', async () => {
    mockFetch(() => json(403, { error: { code: 'account_not_verified', message: 'Cuenta no verificada' } }))
    const auth = useAuthStore()
    await expect(auth.login('new@example.com', 'password123')).rejects.toMatchObject({ status: 403, message: 'Cuenta no verificada' })
    expect(auth.isAuthenticated).toBe(false)
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
  })

  it('initialize decodes the stored JWT into role and claims', () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({ role: 'admin', sub: 'admin@example.com' }))
    const auth = useAuthStore()
    auth.initialize()
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.role).toBe('admin')
    expect(auth.isAdmin).toBe(true)
    expect(auth.email).toBe('admin@example.com')
  })

  it('initialize with a user token is not admin', () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({ role: 'user' }))
    const auth = useAuthStore()
    auth.initialize()
    expect(auth.role).toBe('user')
    expect(auth.isAdmin).toBe(false)
  })

  it('initialize logs out an expired token that has no refresh token', () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({}, -10))
    const auth = useAuthStore()
    auth.initialize()
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.role).toBeNull()
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
  })

  it('initialize keeps an expired token that can still be refreshed', () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({}, -10))
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const auth = useAuthStore()
    auth.initialize()
    expect(auth.isAuthenticated).toBe(true)
  })

  it('initialize drops a token that is not a JWT', () => {
    localStorage.setItem(TOKEN_KEY, 'garbage')
    const auth = useAuthStore()
    auth.initialize()
    expect(auth.isAuthenticated).toBe(false)
  })

  it('logout clears the state and localStorage and revokes the refresh token', async () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({ role: 'admin' }))
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    const fetch = mockFetch(() => json(204))
    const auth = useAuthStore()
    auth.initialize()

    await auth.logout()

    expect(fetch.mock.calls[0][0]).toBe('/auth/logout')
    expect(bodyOf(fetch.mock.calls[0][1])).toEqual({ refresh_token: 'r1' })
    expect(headerOf(fetch.mock.calls[0][1], 'Authorization')).toMatch(/^Bearer /)
    expect(auth.token).toBeNull()
    expect(auth.refreshToken).toBeNull()
    expect(auth.user).toBeNull()
    expect(auth.role).toBeNull()
    expect(auth.isAuthenticated).toBe(false)
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull()
  })

  it('logout still clears the session when the server cannot be reached', async () => {
    localStorage.setItem(TOKEN_KEY, makeJwt({}))
    localStorage.setItem(REFRESH_TOKEN_KEY, 'r1')
    mockFetch(() => Promise.reject(new TypeError('Failed to fetch')))
    const auth = useAuthStore()
    await auth.logout()
    expect(auth.isAuthenticated).toBe(false)
  })

  it('register and verify call the auth service with the seed payloads', async () => {
    const fetch = mockFetch((url) =>
      url === '/auth/register' ? json(201, { message: 'Usuario creado', user_id: 5 }) : json(200, { message: 'Cuenta verificada' }),
    )
    const auth = useAuthStore()
    const payload = { username: 'ana', name: 'Ana', email: 'ana@example.com', password: 'password123' }
    await expect(auth.register(payload)).resolves.toEqual({ message: 'Usuario creado', user_id: 5 })
    await expect(auth.verify('ana@example.com', '123456')).resolves.toEqual({ message: 'Cuenta verificada' })
    expect(bodyOf(fetch.mock.calls[0][1])).toEqual(payload)
    expect(bodyOf(fetch.mock.calls[1][1])).toEqual({ email: 'ana@example.com', code: '123456' })
  })
})
