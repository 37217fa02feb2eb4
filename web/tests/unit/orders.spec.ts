import { describe, expect, it } from 'vitest'
import type { Order } from '@/api/types'
import { emptyDraft } from '@/stores/checkout'
import { addressLines, draftErrors } from '@/utils/address'
import { availableActions } from '@/utils/orderMoves'

const order = (status: Order['status'], payment: Order['payment_status'], pickup: boolean) =>
  ({ status, payment_status: payment, shipping: { pickup } }) as Order

describe('address step', () => {
  it('names the missing and malformed fields before asking the server', () => {
    const errors = draftErrors({ ...emptyDraft(), name: 'Ana', phone: 'call me', country: 'Spain' })
    expect(Object.keys(errors).sort()).toEqual(['city', 'country', 'line1', 'phone', 'postal_code'])
    const ok = { ...emptyDraft(), name: 'Ana', phone: '+34 600', line1: 'Mayor 1', city: 'Madrid', postal_code: '28001', country: 'es' }
    expect(draftErrors(ok)).toEqual({})
  })

  it('prints an address as label lines, skipping the empty ones', () => {
    const lines = addressLines({ name: 'Ana', line1: 'Mayor 1', line2: null, city: 'Madrid', postal_code: '28001', country: 'ES', phone: '+34 600' })
    expect(lines).toEqual(['Ana', 'Mayor 1', '28001 Madrid', 'ES', '+34 600'])
  })
})

describe('fulfilment actions', () => {
  it('follows the lifecycle: delivery orders are shipped, pickup orders collected', () => {
    expect(availableActions(order('placed', 'unpaid', false))).toEqual(['mark-paid', 'ship', 'cancel'])
    expect(availableActions(order('placed', 'paid', true))).toEqual(['deliver', 'cancel'])
    expect(availableActions(order('shipped', 'paid', false))).toEqual(['deliver'])
    expect(availableActions(order('delivered', 'unpaid', false))).toEqual(['mark-paid'])
    expect(availableActions(order('cancelled', 'refunded', false))).toEqual([])
  })
})
