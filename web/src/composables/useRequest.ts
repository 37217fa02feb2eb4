import { ref } from 'vue'
import { errorMessage } from '@/api/client'

/** Loading flag and readable error for one kind of request in a component. */
export function useRequest() {
  const loading = ref(false)
  const error = ref<string | null>(null)

  /** Run fn; on failure keep its message in `error` and resolve undefined. */
  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    loading.value = true
    error.value = null
    try {
      return await fn()
    } catch (e) {
      error.value = errorMessage(e)
      return undefined
    } finally {
      loading.value = false
    }
  }

  return { loading, error, run }
}
