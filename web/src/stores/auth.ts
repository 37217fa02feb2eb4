import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError, configureSession } from '@/api/client'
import { authApi } from '@/api/auth'
import type { JwtClaims, RegisterPayload, Role, TokenPair, UserProfile } from '@/api/types'
import { readClaims, secondsLeft } from '@/utils/jwt'

export const TOKEN_KEY = 'token'
export const REFRESH_TOKEN_KEY = 'refresh_token'
/** A token with less left than this is refreshed before a request, so it does not expire on the way. */
const REFRESH_AHEAD_SECONDS = 10

/**
 * The tokens live in localStorage, so every tab shares one session; the store's refs mirror it for
 * the UI. Only this store reads or writes them.
 */
const storage = {
  access: (): string | null => localStorage.getItem(TOKEN_KEY),
  refresh: (): string | null => localStorage.getItem(REFRESH_TOKEN_KEY),
  save(pair: Pick<TokenPair, 'access_token' | 'refresh_token'>): void {
    localStorage.setItem(TOKEN_KEY, pair.access_token)
    if (pair.refresh_token) localStorage.setItem(REFRESH_TOKEN_KEY, pair.refresh_token)
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY)
    localStorage.removeItem(REFRESH_TOKEN_KEY)
  },
}

const canRetryLater = (error: unknown) =>
  !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500

/** The session: tokens, the user, the role; login, refresh, logout. */
export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(storage.access())
  const refreshToken = ref<string | null>(storage.refresh())
  const claims = ref<JwtClaims | null>(readClaims(token.value))
  const user = ref<UserProfile | null>(null)

  const role = computed<Role | null>(() => {
    const r = claims.value?.role ?? user.value?.role
    return r === 'admin' || r === 'user' ? r : null
  })
  const isAuthenticated = computed(() => !!token.value)
  const isAdmin = computed(() => role.value === 'admin')
  const email = computed(() => user.value?.email ?? claims.value?.sub ?? null)
  const displayName = computed(() => user.value?.name || user.value?.username || email.value || '')

  /** Mirror what is stored (this tab or another one may have written it). */
  function load(): void {
    token.value = storage.access()
    refreshToken.value = storage.refresh()
    claims.value = readClaims(token.value)
  }

  /** Take new tokens (after login or a refresh). */
  function setTokens(pair: Pick<TokenPair, 'access_token' | 'refresh_token'>): void {
    storage.save(pair)
    load()
  }

  /** Forget the session locally (no server call). */
  function clear(): void {
    storage.clear()
    token.value = null
    refreshToken.value = null
    claims.value = null
    user.value = null
  }

  /** The access token has expired (false when there is none, or no expiry can be read). */
  function isExpired(): boolean {
    const ttl = secondsLeft(claims.value)
    return ttl !== null && ttl <= 0
  }

  /** Read the stored tokens and decode the JWT; an expired token without a refresh token logs out. */
  function initialize(): void {
    load()
    if (!token.value) return
    if ((claims.value === null || isExpired()) && !refreshToken.value) clear()
  }

  /** The access token a request should carry. Read from storage: another tab may have just rotated it. */
  function accessToken(): string | null {
    return storage.access()
  }

  /** The access token expires within seconds and a refresh token is at hand. */
  function expiresSoon(): boolean {
    const ttl = secondsLeft(readClaims(storage.access()))
    return ttl !== null && ttl < REFRESH_AHEAD_SECONDS && storage.refresh() !== null
  }

  let refreshing: Promise<boolean> | null = null

  /**
   * Rotate the tokens with the stored refresh token. Callers at the same time share one call: a
   * refresh token is good for one use. Resolves false when the server refuses it; throws ApiError
   * when the auth service cannot be reached (the session is kept for a later try).
   */
  function refresh(): Promise<boolean> {
    refreshing ??= rotate().finally(() => {
      refreshing = null
    })
    return refreshing
  }

  async function rotate(): Promise<boolean> {
    const used = storage.refresh()
    if (!used) return false
    try {
      setTokens(await authApi.refresh(used))
      return true
    } catch (error) {
      if (canRetryLater(error)) throw error
      // Another tab may have rotated the token meanwhile: what it stored is still good.
      const stored = storage.refresh()
      if (stored === null || stored === used) return false
      load()
      return true
    }
  }

  /** The session ended without a logout (refresh refused, or a 401 after one): forget it. Was there one? */
  function expire(): boolean {
    const hadSession = storage.access() !== null || storage.refresh() !== null
    clear()
    return hadSession
  }

  async function fetchProfile(): Promise<UserProfile | null> {
    if (!token.value) return null
    user.value = await authApi.me()
    return user.value
  }

  async function login(emailAddress: string, password: string): Promise<void> {
    const pair = await authApi.login(emailAddress, password)
    setTokens(pair)
    fetchProfile().catch(() => undefined)
  }

  async function logout(): Promise<void> {
    const rt = refreshToken.value
    const access = token.value
    clear()
    if (rt) await authApi.logout(rt, access).catch(() => undefined)
  }

  const register = (payload: RegisterPayload) => authApi.register(payload)
  const verify = (emailAddress: string, code: string) => authApi.verify(emailAddress, code)
  const resendCode = (emailAddress: string) => authApi.resendCode(emailAddress)

  return {
    token,
    refreshToken,
    user,
    claims,
    role,
    email,
    displayName,
    isAuthenticated,
    isAdmin,
    setTokens,
    clear,
    initialize,
    isExpired,
    accessToken,
    expiresSoon,
    refresh,
    expire,
    fetchProfile,
    login,
    logout,
    register,
    verify,
    resendCode,
  }
})

/**
 * Hand the API client this store's session: the token to send and the refresh. When the session is
 * lost the store forgets it, then `onLost` lets the app react (main.ts goes to /login). The hooks
 * call through the store object, so a test can spy on its actions.
 */
export function connectSession(onLost: (info: { hadSession: boolean }) => void = () => {}): void {
  const auth = useAuthStore()
  configureSession({
    accessToken: () => auth.accessToken(),
    expiresSoon: () => auth.expiresSoon(),
    refresh: () => auth.refresh(),
    onSessionLost: () => onLost({ hadSession: auth.expire() }),
  })
}
