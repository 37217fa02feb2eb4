import { afterEach, beforeEach, vi } from 'vitest'
import { createApp, h, type App } from 'vue'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { RouterView } from 'vue-router'
import { router } from '@/router'
import { TOKEN_KEY } from '@/stores/auth'

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

/** Wait until `condition` holds (the page's HTML in the error when it never does). */
export async function until(condition: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached; at ${router.currentRoute.value.fullPath}: ${document.body.innerHTML}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Pages as the app shows them, through its router: each test gets a fresh Pinia, an empty #app and a
 * token with `claims` (a user's unless told); `open(path)` mounts the app there.
 */
export function routedPages(claims: Record<string, unknown> = {}) {
  let app: App | null = null
  let pinia: Pinia

  beforeEach(async () => {
    localStorage.clear()
    sessionStorage.clear()
    localStorage.setItem(TOKEN_KEY, makeJwt(claims))
    document.body.innerHTML = '<div id="app"></div>'
    pinia = createPinia()
    setActivePinia(pinia)
    await router.push('/login?redirect=elsewhere') // the router is one for the module: leave the last test's route
  })
  afterEach(() => {
    app?.unmount()
    app = null
  })

  return {
    async open(path: string): Promise<void> {
      app = createApp({ render: () => h(RouterView) }).use(pinia).use(router)
      app.mount('#app')
      await router.push(path)
    },
  }
}

/** The trimmed text of every element with this data-testid, once there is one. */
export async function textsOf(testid: string): Promise<string[]> {
  const selector = `[data-testid="${testid}"]`
  await until(() => document.querySelector(selector) !== null)
  return [...document.querySelectorAll(selector)].map((element) => element.textContent?.trim() ?? '')
}
