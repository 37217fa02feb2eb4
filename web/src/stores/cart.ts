import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError } from '@/api/client'
import { cartApi } from '@/api/cart'
import type { Cart, CheckoutRequest, CheckoutResult, Shortage } from '@/api/types'
import { newUuid } from '@/utils/uuid'

/** Errors after which the same checkout may still complete: retry with the same key. */
function isRetryable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500 || error.status === 429)
}

export const useCartStore = defineStore('cart', () => {
  const cart = ref<Cart | null>(null)
  /** Idempotency-Key of the checkout attempt in flight or awaiting a retry. */
  const checkoutKey = ref<string | null>(null)
  const lastOrder = ref<CheckoutResult | null>(null)
  const shortages = ref<Shortage[]>([])
  /** Products the last checkout refused as no longer sold (409 product_unavailable). */
  const unavailableIds = ref<number[]>([])

  const items = computed(() => cart.value?.items ?? [])
  const itemCount = computed(() => items.value.reduce((n, i) => n + i.quantity, 0))
  const isEmpty = computed(() => items.value.length === 0)

  function take(next: Cart): Cart {
    cart.value = next
    return next
  }

  /** A changed cart is a new purchase intent: the next checkout gets a fresh key. */
  function changed(next: Cart): Cart {
    checkoutKey.value = null
    shortages.value = []
    unavailableIds.value = []
    return take(next)
  }

  const load = async () => take(await cartApi.get())
  const add = async (productId: number, quantity: number) => changed(await cartApi.add(productId, quantity))
  const setQuantity = async (itemId: number, quantity: number) =>
    changed(await cartApi.setQuantity(itemId, quantity))
  const removeItem = async (itemId: number) => changed(await cartApi.removeItem(itemId))
  const empty = async () => changed(await cartApi.empty())

  /**
   * Place the order. A fresh Idempotency-Key per attempt; after a 503 or a network error the
   * key is kept, so pressing "Try again" resumes the same order instead of making a second one.
   * No choices: the shop's default (pickup in store, paid on pickup).
   */
  async function checkout(choices?: CheckoutRequest): Promise<CheckoutResult> {
    checkoutKey.value ??= newUuid()
    shortages.value = []
    unavailableIds.value = []
    try {
      const result = await cartApi.checkout(checkoutKey.value, choices)
      checkoutKey.value = null
      lastOrder.value = result
      if (cart.value) cart.value = { ...cart.value, items: [], total: '0.00' }
      return result
    } catch (error) {
      if (!isRetryable(error)) checkoutKey.value = null
      if (error instanceof ApiError && error.code === 'insufficient_stock') {
        const details = error.details as { short?: Shortage[] } | undefined
        shortages.value = details?.short ?? []
      }
      if (error instanceof ApiError && error.code === 'product_unavailable') {
        const details = error.details as { product_ids?: number[] } | undefined
        unavailableIds.value = details?.product_ids ?? []
      }
      throw error
    }
  }

  /** Changed checkout choices are a new purchase intent too. */
  function forgetCheckoutKey(): void {
    checkoutKey.value = null
  }

  function reset(): void {
    cart.value = null
    checkoutKey.value = null
    lastOrder.value = null
    shortages.value = []
    unavailableIds.value = []
  }

  return {
    cart,
    items,
    itemCount,
    isEmpty,
    checkoutKey,
    lastOrder,
    shortages,
    unavailableIds,
    load,
    add,
    setQuantity,
    removeItem,
    empty,
    checkout,
    forgetCheckoutKey,
    reset,
  }
})
