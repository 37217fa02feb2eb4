import type { AddressDraft } from '@/stores/checkout'

type Errors = Partial<Record<keyof AddressDraft, string>>
const REQUIRED: (keyof AddressDraft)[] = ['name', 'phone', 'line1', 'city', 'postal_code', 'country']
const PHONE_RE = /^\+?[0-9 ().-]{4,30}$/

/** What the form can say before the server does (it still checks everything, the country's code included). */
export function draftErrors(draft: AddressDraft): Errors {
  const errors: Errors = {}
  for (const key of REQUIRED) if (!String(draft[key]).trim()) errors[key] = 'Required.'
  if (draft.phone.trim() && !PHONE_RE.test(draft.phone.trim())) errors.phone = 'Digits, spaces and + ( ) . - only.'
  if (draft.country.trim() && !/^[A-Za-z]{2}$/.test(draft.country.trim()))
    errors.country = 'Two letters (ISO 3166-1), e.g. ES.'
  return errors
}

interface AddressLike {
  name?: unknown
  phone?: unknown
  line1?: unknown
  line2?: unknown
  city?: unknown
  region?: unknown
  postal_code?: unknown
  country?: unknown
}

/** An address as the lines of a label: name, street, "postal code city", region, country. */
export function addressLines(address: AddressLike | null | undefined): string[] {
  if (!address) return []
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '')
  return [
    text(address.name),
    text(address.line1),
    text(address.line2),
    [text(address.postal_code), text(address.city)].filter(Boolean).join(' '),
    text(address.region),
    text(address.country),
    text(address.phone),
  ].filter(Boolean)
}
