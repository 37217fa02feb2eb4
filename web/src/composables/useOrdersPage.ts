import { ref, watch } from 'vue'
import { ordersApi } from '@/api/orders'
import type { OrderPage } from '@/api/types'
import { useRequest } from './useRequest'

/** One page of orders (own, or all for admins), reloaded when the page number changes. */
export function useOrdersPage(all: boolean, pageSize = 20) {
  const page = ref(1)
  const result = ref<OrderPage | null>(null)
  const { loading, error, run } = useRequest()

  async function load() {
    const res = await run(() => ordersApi.list(page.value, pageSize, all))
    if (res) result.value = res
  }
  watch(page, load, { immediate: true })

  return { page, result, loading, error, load }
}
