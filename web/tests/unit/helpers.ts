import { vi } from 'vitest'

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** An unsigned JWT: the SPA only decodes tokens, the services verify them. */
export function makeJwt(claims: Record<string, unknown>, expiresIn = 3600): string {
  const payload = { sub: 'user@example.com', role: 'user', user_id: 1, exp: Math.floor(Date.now() / 1000) + expiresIn, ...claims }
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.signature`
}

export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

export type Handler = (url: string, init: RequestInit) => Response | Promise<Response>

/** Replace fetch with a mock that answers from `handler` and records every call. */
export function mockFetch(handler: Handler) {
  const fn = vi.fn(async (input: string, init: RequestInit = {}) => handler(String(input), init))
  vi.stubGlobal('fetch', fn)
  return fn
}

export const headerOf = (init: RequestInit | undefined, name: string): string | undefined =>
  (init?.headers as Record<string, string> | undefined)?.[name]

export const bodyOf = (init: RequestInit | undefined): unknown =>
  typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body
