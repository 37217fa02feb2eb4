import { paths, request } from './client'
import type {
  EmailPayload,
  LoginPayload,
  Message,
  RefreshPayload,
  RegisterPayload,
  RegisterResult,
  TokenPair,
  UserProfile,
  VerifyPayload,
} from './types'

const p = paths.auth
const open = { auth: false } as const

export const authApi = {
  register: (body: RegisterPayload) => request<RegisterResult>(`${p}/register`, { ...open, method: 'POST', json: body }),
  verify: (email: string, code: string) =>
    request<Message>(`${p}/verify`, { ...open, method: 'POST', json: { email, code } satisfies VerifyPayload }),
  resendCode: (email: string) =>
    request<Message>(`${p}/verify/resend`, { ...open, method: 'POST', json: { email } satisfies EmailPayload }),
  login: (email: string, password: string) =>
    request<TokenPair>(`${p}/login`, { ...open, method: 'POST', json: { email, password } satisfies LoginPayload }),
  /** Rotates the tokens; used by the auth store only, which owns the session. */
  refresh: (refreshToken: string) =>
    request<TokenPair>(`${p}/token/refresh`, {
      ...open,
      method: 'POST',
      json: { refresh_token: refreshToken } satisfies RefreshPayload,
    }),
  /** Revokes the refresh token; the access token goes along when there is one, but may be expired. */
  logout: (refreshToken: string, accessToken?: string | null) =>
    request<void>(`${p}/logout`, {
      ...open,
      method: 'POST',
      json: { refresh_token: refreshToken } satisfies RefreshPayload,
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    }),
  me: () => request<UserProfile>(`${p}/me`),
}
