import { ref } from 'vue'
import { useRouter } from 'vue-router'
import type { CheckoutStep } from '@/stores/checkout'

/** A choice step's "Continue": go on to `next` when `done()`, else say what is missing. */
export function useCheckoutStep(done: () => boolean, missing: string, next: CheckoutStep) {
  const router = useRouter()
  const stepError = ref<string | null>(null)
  async function proceed() {
    stepError.value = done() ? null : missing
    if (!stepError.value) await router.push({ name: `checkout-${next}` })
  }
  return { stepError, proceed, back: (step: CheckoutStep) => router.push({ name: `checkout-${step}` }) }
}
