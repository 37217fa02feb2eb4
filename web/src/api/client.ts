/**
 * The one HTTP wrapper of the SPA: base paths, the bearer token, the
 * 401 → refresh → retry once → log out rule, and the error envelope turned into ApiError.
 */
import { jwtDecode } from 'jwt-decode'
import type { JwtClaims, TokenPair } from './types'

export const paths = {
  auth: '/auth',
  products: '/api/products',
  cart: '/api/cart',
  orders: '/api/orders',
  inventory: '/api/inventory',
} as const

export const TOKEN_KEY = 'token'
export const REFRESH_TOKEN_KEY = 'refresh_token'

/** Seed 4.3: "Guardar en localStorage". */
export const tokenStorage = {
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

export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface AuthHooks {
  /** New tokens were stored (after a refresh). */
  onTokens?: (pair: TokenPair) => void
  /** The session cannot continue: tokens were cleared; the app should go to /login. */
  onUnauthorized?: (info: { hadSession: boolean }) => void
}

let hooks: AuthHooks = {}
export function setAuthHooks(next: AuthHooks): void {
  hooks = next
}

type QueryValue = string | number | boolean | null | undefined
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Record<string, QueryValue>
  json?: unknown
  form?: FormData
  headers?: Record<string, string>
  /** false: no token, no refresh (login, register, ...). */
  auth?: boolean
}

export interface ApiResponse<T> {
  data: T
  status: number
  headers: Headers
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

/** Seconds until the stored access token expires; null when it cannot be decoded. */
export function accessTokenTtl(token = tokenStorage.access()): number | null {
  if (!token) return null
  try {
    const { exp } = jwtDecode<JwtClaims>(token)
    return typeof exp === 'number' ? exp - Date.now() / 1000 : null
  } catch {
    return null
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  0: 'Cannot reach the server. Check your connection and try again.',
  400: 'The request was not valid.',
  401: 'Please log in to continue.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with the current state. Please reload and try again.',
  413: 'The file is too large.',
  422: 'Some fields are not valid.',
  429: 'Too many attempts. Please wait a moment and try again.',
  500: 'Something went wrong on the server. Please try again.',
}

function defaultMessage(status: number): string {
  if (STATUS_MESSAGES[status]) return STATUS_MESSAGES[status]
  if (status >= 502) return 'The service is temporarily unavailable. Please try again.'
  return `Request failed (HTTP ${status}).`
}

/** FastAPI's `{detail: [{loc, msg}]}` as "field: message; ...". */
function describeDetail(detail: unknown): string | null {
  if (typeof detail === 'string') return detail
  if (!Array.isArray(detail)) return null
  const parts = detail
    .map((d: { loc?: unknown[]; msg?: string }) => {
      const field = Array.isArray(d?.loc) ? d.loc.filter((p) => p !== 'body' && p !== 'query').join('.') : ''
      const msg = d?.msg?.replace(/^Value error, /, '')
      return msg ? (field ? `${field}: ${msg}` : msg) : null
    })
    .filter(Boolean)
  return parts.length ? parts.join('; ') : null
}

export function errorFromBody(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as Record<string, unknown>
  const env = b.error
  if (env && typeof env === 'object') {
    const e = env as { code?: string; message?: string; details?: unknown }
    // A validation error's message names the first bad field only; the details list them all.
    const fields = status === 422 ? describeDetail(e.details) : null
    const message = fields || e.message || defaultMessage(status)
    return new ApiError(message, status, e.code || `http_${status}`, e.details)
  }
  if (typeof env === 'string') return new ApiError(env, status, `http_${status}`)
  const detail = describeDetail(b.detail)
  return new ApiError(detail || defaultMessage(status), status, `http_${status}`, b.detail)
}

async function parseBody(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined
  const text = await res.text()
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

async function send(path: string, opts: RequestOptions, withToken: boolean): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.form) body = opts.form
  else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.json)
  }
  const token = withToken ? tokenStorage.access() : null
  if (token) headers.Authorization = `Bearer ${token}`
  try {
    return await fetch(buildUrl(path, opts.query), { method: opts.method ?? 'GET', headers, body })
  } catch {
    throw new ApiError(defaultMessage(0), 0, 'network_error')
  }
}

let refreshing: Promise<boolean> | null = null

/**
 * Rotate the tokens with the stored refresh token; concurrent callers share one call.
 * Resolves false when the server refuses the refresh token; throws ApiError when the
 * auth service cannot be reached (the session is kept for a later try).
 */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= doRefresh().finally(() => {
    refreshing = null
  })
  return refreshing
}

async function doRefresh(): Promise<boolean> {
  const used = tokenStorage.refresh()
  if (!used) return false
  const res = await send(`${paths.auth}/token/refresh`, { method: 'POST', json: { refresh_token: used } }, false)
  if (res.ok) {
    const pair = (await parseBody(res)) as TokenPair
    tokenStorage.save(pair)
    hooks.onTokens?.(pair)
    return true
  }
  if (res.status >= 500 || res.status === 429) throw errorFromBody(res.status, await parseBody(res))
  // Another tab may have rotated the token meanwhile: what it stored is still good.
  return tokenStorage.refresh() !== used && tokenStorage.refresh() !== null
}

/** Clear the tokens and tell the app to go to /login. */
export function expireSession(): void {
  const hadSession = tokenStorage.access() !== null || tokenStorage.refresh() !== null
  tokenStorage.clear()
  hooks.onUnauthorized?.({ hadSession })
}

const SESSION_EXPIRED = 'Your session has expired. Please log in again.'

export async function requestWithMeta<T>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const useAuth = opts.auth !== false
  const ttl = useAuth ? accessTokenTtl() : null
  if (ttl !== null && ttl < 10 && tokenStorage.refresh()) {
    if (!(await refreshTokens())) {
      expireSession()
      throw new ApiError(SESSION_EXPIRED, 401, 'token_expired')
    }
  }
  let res = await send(path, opts, useAuth)
  if (res.status === 401 && useAuth) {
    const sentToken = tokenStorage.access() !== null
    if (sentToken && (await refreshTokens())) res = await send(path, opts, true)
    if (res.status === 401) {
      const error = errorFromBody(401, await parseBody(res))
      const hadSession = sentToken
      expireSession()
      throw hadSession ? new ApiError(SESSION_EXPIRED, 401, error.code, error.details) : error
    }
  }
  const data = await parseBody(res)
  if (!res.ok) throw errorFromBody(res.status, data)
  return { data: data as T, status: res.status, headers: res.headers }
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await requestWithMeta<T>(path, opts)).data
}

/** Human-readable text for anything thrown by a request. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : 'Something went wrong.'
}
