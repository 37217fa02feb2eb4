import { ref, watch } from 'vue'
import type { Order } from '@/api/types'
import { useRequest } from './useRequest'

/** One order, loaded with `fetch` whenever the id changes; `order` may be replaced by an action's answer. */
export function useOrder(id: () => string, fetch: (id: string) => Promise<Order>) {
  const { loading, error, run } = useRequest()
  const order = ref<Order | null>(null)
  watch(
    id,
    async (value) => {
      order.value = (await run(() => fetch(value))) ?? null
    },
    { immediate: true },
  )
  return { order, loading, error }
}
