import { paths, request } from './client'
import type { RegisterPayload, TokenPair, UserProfile } from './types'

const p = paths.auth
const open = { auth: false } as const

export const authApi = {
  register: (body: RegisterPayload) =>
    request<{ message: string; user_id: number }>(`${p}/register`, { ...open, method: 'POST', json: body }),
  verify: (email: string, code: string) =>
    request<{ message: string }>(`${p}/verify`, { ...open, method: 'POST', json: { email, code } }),
  resendCode: (email: string) =>
    request<{ message?: string }>(`${p}/verify/resend`, { ...open, method: 'POST', json: { email } }),
  login: (email: string, password: string) =>
    request<TokenPair>(`${p}/login`, { ...open, method: 'POST', json: { email, password } }),
  /** Revokes the refresh token; the access token goes along when there is one, but may be expired. */
  logout: (refreshToken: string, accessToken?: string | null) =>
    request<void>(`${p}/logout`, {
      ...open,
      method: 'POST',
      json: { refresh_token: refreshToken },
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    }),
  me: () => request<UserProfile>(`${p}/me`),
}
