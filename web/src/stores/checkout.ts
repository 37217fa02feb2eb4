import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { cartApi } from '@/api/cart'
import { addressesApi, paymentsApi, shippingApi } from '@/api/checkoutChoices'
import type {
  Address,
  AddressCreate,
  CheckoutRequest,
  CheckoutResult,
  PaymentMethod,
  Quote,
  ShippingKind,
  ShippingMethod,
} from '@/api/types'
import { useCartStore } from './cart'

export const CHECKOUT_KEY = 'checkout'
export const STEPS = ['address', 'shipping', 'payment', 'review'] as const
export type CheckoutStep = (typeof STEPS)[number]

/** A new address as typed, before it is saved: every field a string, so a form can bind to it. */
export type AddressDraft = { [K in keyof Required<AddressCreate>]: K extends 'is_default' ? boolean : string }

export const emptyDraft = (): AddressDraft => ({
  name: '',
  phone: '',
  line1: '',
  line2: '',
  city: '',
  region: '',
  postal_code: '',
  country: '',
  is_default: false,
})

/** What the user chose or typed and the server does not keep until the order is placed. */
interface Saved {
  addressId: number | null
  pickupOnly: boolean
  shippingMethodId: number | null
  paymentCode: string | null
  draft: AddressDraft
}

function restore(): Saved | null {
  try {
    const raw = sessionStorage.getItem(CHECKOUT_KEY)
    return raw ? (JSON.parse(raw) as Saved) : null
  } catch {
    return null
  }
}

/**
 * Checkout as steps: address → shipping → payment → review. The lists (addresses, methods) come
 * from the server on every load; the choices and an unsaved address live in sessionStorage, so
 * back/forward and a refresh keep them. A choice the server no longer offers simply stops counting.
 */
export const useCheckoutStore = defineStore('checkout', () => {
  const cart = useCartStore()
  const addresses = ref<Address[]>([])
  const shippingMethods = ref<ShippingMethod[]>([])
  const paymentMethods = ref<PaymentMethod[]>([])
  const loaded = ref(false)
  const quote = ref<Quote | null>(null)

  const saved = restore()
  const addressId = ref<number | null>(saved?.addressId ?? null)
  /** The user said no address is needed: only pickup methods remain. */
  const pickupOnly = ref(saved?.pickupOnly ?? false)
  const shippingMethodId = ref<number | null>(saved?.shippingMethodId ?? null)
  const paymentCode = ref<string | null>(saved?.paymentCode ?? null)
  const draft = ref<AddressDraft>({ ...emptyDraft(), ...saved?.draft })

  watch(
    [addressId, pickupOnly, shippingMethodId, paymentCode, draft],
    () => {
      const state: Saved = {
        addressId: addressId.value,
        pickupOnly: pickupOnly.value,
        shippingMethodId: shippingMethodId.value,
        paymentCode: paymentCode.value,
        draft: draft.value,
      }
      sessionStorage.setItem(CHECKOUT_KEY, JSON.stringify(state))
    },
    { deep: true, flush: 'sync' },
  )
  /** Different choices are a different purchase: a new Idempotency-Key and a new quote. */
  function changed(): void {
    cart.forgetCheckoutKey()
    quote.value = null
  }

  const address = computed(() => addresses.value.find((a) => a.id === addressId.value) ?? null)
  const shippingMethod = computed(
    () => shippingMethods.value.find((m) => m.id === shippingMethodId.value && m.active) ?? null,
  )
  const shippingKind = computed<ShippingKind | null>(() =>
    shippingMethod.value ? (shippingMethod.value.pickup ? 'pickup' : 'delivery') : null,
  )
  /** The methods this step may offer: delivery only with an address. */
  const canDeliver = computed(() => address.value !== null)
  const paymentOptions = computed(() =>
    paymentMethods.value.filter((m) => m.enabled && shippingKind.value !== null && m.fits.includes(shippingKind.value)),
  )
  const payment = computed(() => paymentOptions.value.find((m) => m.code === paymentCode.value) ?? null)

  const done = computed<Record<CheckoutStep, boolean>>(() => {
    const addressDone = address.value !== null || pickupOnly.value
    const shippingDone = addressDone && shippingMethod.value !== null && (shippingMethod.value.pickup || canDeliver.value)
    const paymentDone = shippingDone && payment.value !== null
    return { address: addressDone, shipping: shippingDone, payment: paymentDone, review: false }
  })

  /** The first step before `step` that is not done (where a visit to `step` must go instead), or null. */
  function missingBefore(step: CheckoutStep): CheckoutStep | null {
    return STEPS.slice(0, STEPS.indexOf(step)).find((s) => !done.value[s]) ?? null
  }

  const request = computed<CheckoutRequest>(() => ({
    address_id: shippingMethod.value?.pickup ? null : addressId.value,
    shipping_method_id: shippingMethodId.value,
    payment_method: paymentCode.value,
  }))

  /** The server's lists: saved addresses, active shipping methods, enabled payment methods. */
  async function load(): Promise<void> {
    const [a, s, p] = await Promise.all([addressesApi.list(), shippingApi.list(), paymentsApi.list()])
    addresses.value = a
    shippingMethods.value = s
    paymentMethods.value = p
    if (addressId.value === null && !pickupOnly.value) addressId.value = a.find((x) => x.is_default)?.id ?? null
    loaded.value = true
  }

  function chooseAddress(id: number): void {
    changed()
    addressId.value = id
    pickupOnly.value = false
  }

  /** Save the typed address at the server and choose it; the draft is then forgotten. */
  async function saveDraft(): Promise<Address> {
    const { line2, region, ...rest } = draft.value
    const body: AddressCreate = {
      ...rest,
      country: rest.country.trim().toUpperCase(),
      line2: line2.trim() || null,
      region: region.trim() || null,
    }
    const created = await addressesApi.create(body)
    addresses.value = await addressesApi.list()
    chooseAddress(created.id)
    draft.value = emptyDraft()
    return created
  }

  /** No address: the order is collected in store. */
  function choosePickup(): void {
    changed()
    pickupOnly.value = true
    addressId.value = null
    if (shippingMethod.value && !shippingMethod.value.pickup) shippingMethodId.value = null
  }

  function chooseShipping(id: number): void {
    changed()
    shippingMethodId.value = id
    if (paymentCode.value && !payment.value) paymentCode.value = null // it does not fit this method
  }

  function choosePayment(code: string): void {
    changed()
    paymentCode.value = code
  }

  async function fetchQuote(): Promise<Quote> {
    quote.value = await cartApi.quote(request.value)
    return quote.value
  }

  /** Place the order with the chosen address, method and payment; the choices are then forgotten. */
  async function place(): Promise<CheckoutResult> {
    const result = await cart.checkout(request.value)
    reset()
    return result
  }

  function reset(): void {
    addressId.value = null
    pickupOnly.value = false
    shippingMethodId.value = null
    paymentCode.value = null
    draft.value = emptyDraft()
    quote.value = null
    loaded.value = false
    sessionStorage.removeItem(CHECKOUT_KEY)
  }

  return {
    addresses,
    shippingMethods,
    paymentMethods,
    loaded,
    quote,
    addressId,
    pickupOnly,
    shippingMethodId,
    paymentCode,
    draft,
    address,
    shippingMethod,
    shippingKind,
    canDeliver,
    paymentOptions,
    payment,
    done,
    request,
    missingBefore,
    load,
    chooseAddress,
    saveDraft,
    choosePickup,
    chooseShipping,
    choosePayment,
    fetchQuote,
    place,
    reset,
  }
})
