import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { jwtDecode } from 'jwt-decode'
import { accessTokenTtl, tokenStorage } from '@/api/client'
import { authApi } from '@/api/auth'
import type { JwtClaims, RegisterPayload, Role, TokenPair, UserProfile } from '@/api/types'

function decode(token: string | null): JwtClaims | null {
  if (!token) return null
  try {
    return jwtDecode<JwtClaims>(token)
  } catch {
    return null
  }
}

/** Seed 3.4's auth store: token, user, role; login, logout, initialize. */
export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(tokenStorage.access())
  const refreshToken = ref<string | null>(tokenStorage.refresh())
  const claims = ref<JwtClaims | null>(decode(token.value))
  const user = ref<UserProfile | null>(null)

  const role = computed<Role | null>(() => {
    const r = claims.value?.role ?? user.value?.role
    return r === 'admin' || r === 'user' ? r : null
  })
  const isAuthenticated = computed(() => !!token.value)
  const isAdmin = computed(() => role.value === 'admin')
  const email = computed(() => user.value?.email ?? claims.value?.sub ?? null)
  const displayName = computed(() => user.value?.name || user.value?.username || email.value || '')

  /** Take tokens into the store (after login or a refresh done by the API client). */
  function setTokens(pair: Pick<TokenPair, 'access_token' | 'refresh_token'>): void {
    tokenStorage.save(pair)
    token.value = pair.access_token
    refreshToken.value = tokenStorage.refresh()
    claims.value = decode(pair.access_token)
  }

  /** Forget the session locally (no server call). */
  function clear(): void {
    tokenStorage.clear()
    token.value = null
    refreshToken.value = null
    claims.value = null
    user.value = null
  }

  /** Read the stored tokens and decode the JWT; an expired token without a refresh token logs out. */
  function initialize(): void {
    token.value = tokenStorage.access()
    refreshToken.value = tokenStorage.refresh()
    claims.value = decode(token.value)
    if (!token.value) return
    const ttl = accessTokenTtl(token.value)
    const expired = claims.value === null || (ttl !== null && ttl <= 0)
    if (expired && !refreshToken.value) clear()
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
    fetchProfile,
    login,
    logout,
    register,
    verify,
    resendCode,
  }
})
