import { beforeEach, describe, expect, it } from 'vitest'
import { bodyOf, json, mockFetch, routedPages, textsOf, until } from './helpers'

type Method = { id: number; name: string; price: string; free_above: string | null; currency: string; pickup: boolean; active: boolean; is_default: boolean }

const method = (id: number, name: string, fields: Partial<Method>): Method => ({
  id, name, price: '0.00', free_above: null, currency: 'GBP', pickup: true, active: true, is_default: false, ...fields,
})

describe('admin shipping methods page', { timeout: 20_000 }, () => {
  const { open } = routedPages({ role: 'admin' })
  let methods: Method[]
  let fetch: ReturnType<typeof mockFetch>

  beforeEach(() => {
    methods = [
      method(1, 'Counter', { is_default: true }),
      method(2, 'Locker', {}),
      method(3, 'Courier', { price: '4.90', free_above: '100.00', pickup: false }),
      method(4, 'Old counter', { active: false }),
    ]
    // The server's rule, as PATCH /api/shipping-methods/{id} applies it: one default, moved in one step.
    fetch = mockFetch((url, init) => {
      const id = Number(url.match(/^\/api\/shipping-methods\/(\d+)$/)?.[1])
      if (id && init.method === 'PATCH') {
        methods = methods.map((m) => ({ ...m, is_default: m.id === id }))
        return json(200, methods.find((m) => m.id === id))
      }
      if (url.startsWith('/api/shipping-methods')) return json(200, methods)
      return json(404, { error: { code: 'not_found', message: url } })
    })
  })

  const buttonFor = (name: string) => document.querySelector<HTMLButtonElement>(`[aria-label="Make ${name} the default"]`)
  const defaultOne = () => methods.find((m) => m.is_default)?.name

  it('offers "Make default" for the active pickup methods that are not the default', async () => {
    await open('/admin/shipping-methods')
    expect(await textsOf('make-default')).toEqual(['Make default'])
    expect(buttonFor('Locker')).not.toBeNull()
    expect(document.body.textContent?.replace(/\s+/g, ' ')).toContain('Courier · £4.90 · free above £100.00')
  })

  it('moves the default with one PATCH and shows the new default', async () => {
    await open('/admin/shipping-methods')
    await textsOf('make-default')
    buttonFor('Locker')!.click()
    await until(() => buttonFor('Counter') !== null)
    const patches = fetch.mock.calls.filter(([, init]) => init?.method === 'PATCH')
    expect(patches.map(([url, init]) => [url, bodyOf(init)])).toEqual([['/api/shipping-methods/2', { is_default: true }]])
    expect(defaultOne()).toBe('Locker')
    expect(buttonFor('Locker')).toBeNull()
    expect(document.body.textContent).toContain('“Locker” is the default now')
  })
})
