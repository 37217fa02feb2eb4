import type { Order } from '@/api/types'

export type OrderAction = 'mark-paid' | 'ship' | 'deliver' | 'cancel'

/**
 * The actions the order's state offers (the server's lifecycle table decides; this only hides
 * buttons that would be refused): pickup orders are collected, delivery orders shipped first.
 */
export function availableActions(order: Order): OrderAction[] {
  const actions: OrderAction[] = []
  const live = ['placed', 'shipped', 'delivered'].includes(order.status)
  if (live && order.payment_status === 'unpaid') actions.push('mark-paid')
  if (order.status === 'placed' && !order.shipping.pickup) actions.push('ship')
  if ((order.status === 'placed' && order.shipping.pickup) || order.status === 'shipped') actions.push('deliver')
  if (order.status === 'pending' || order.status === 'placed') actions.push('cancel')
  return actions
}
