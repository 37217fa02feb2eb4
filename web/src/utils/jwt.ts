/** The one place the SPA decodes a JWT. It only reads the claims; the services verify the signature. */
import { jwtDecode } from 'jwt-decode'
import type { JwtClaims } from '@/api/types'

/** The claims of a token, or null for no token or one that is not a JWT. */
export function readClaims(token: string | null): JwtClaims | null {
  if (!token) return null
  try {
    return jwtDecode<JwtClaims>(token)
  } catch {
    return null
  }
}

/** Seconds until the claims expire (negative once past); null when there is no `exp`. */
export function secondsLeft(claims: JwtClaims | null): number | null {
  return typeof claims?.exp === 'number' ? claims.exp - Date.now() / 1000 : null
}
