/**
 * The one HTTP wrapper of the SPA: base paths, the bearer token, the
 * 401 → refresh → retry once → log out rule, and the error envelope turned into ApiError.
 * The session itself (tokens, refresh, logout) belongs to the auth store, which hands it over
 * with configureSession; this module never reads the tokens' storage or decodes them.
 */

export const paths = {
  auth: '/auth',
  products: '/api/products',
  cart: '/api/cart',
  orders: '/api/orders',
  adminOrders: '/api/admin/orders',
  addresses: '/api/addresses',
  shippingMethods: '/api/shipping-methods',
  paymentMethods: '/api/payment-methods',
  inventory: '/api/inventory',
} as const

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

/** What the client asks of the session's owner (the auth store: connectSession in stores/auth.ts). */
export interface SessionHooks {
  /** The access token to send, or null. */
  accessToken: () => string | null
  /** The access token is about to expire and can be refreshed: refresh before sending. */
  expiresSoon: () => boolean
  /**
   * Rotate the tokens; concurrent callers share one call. Resolves false when the server refuses
   * the refresh token; throws ApiError when the auth service cannot be reached.
   */
  refresh: () => Promise<boolean>
  /** The session cannot continue: forget it and send the user to log in. */
  onSessionLost: () => void
}

const NO_SESSION: SessionHooks = {
  accessToken: () => null,
  expiresSoon: () => false,
  refresh: async () => false,
  onSessionLost: () => {},
}

let session: SessionHooks = NO_SESSION
/** Hand the client its session; null goes back to none (anonymous requests only). */
export function configureSession(hooks: SessionHooks | null): void {
  session = hooks ?? NO_SESSION
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

async function send(path: string, opts: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.form) body = opts.form
  else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.json)
  }
  if (token) headers.Authorization = `Bearer ${token}`
  try {
    return await fetch(buildUrl(path, opts.query), { method: opts.method ?? 'GET', headers, body })
  } catch {
    throw new ApiError(defaultMessage(0), 0, 'network_error')
  }
}

const SESSION_EXPIRED = 'Your session has expired. Please log in again.'

export async function requestWithMeta<T>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const useAuth = opts.auth !== false
  if (useAuth && session.expiresSoon() && !(await session.refresh())) {
    session.onSessionLost()
    throw new ApiError(SESSION_EXPIRED, 401, 'token_expired')
  }
  let res = await send(path, opts, useAuth ? session.accessToken() : null)
  if (res.status === 401 && useAuth) {
    const hadSession = session.accessToken() !== null
    if (hadSession && (await session.refresh())) res = await send(path, opts, session.accessToken())
    if (res.status === 401) {
      const error = errorFromBody(401, await parseBody(res))
      session.onSessionLost()
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
