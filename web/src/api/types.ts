/** Wire shapes of the microshop services (docs/architecture.md#wire-shapes). Money is a decimal string. */

export type Role = 'user' | 'admin'

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  expires_in?: number
}

export interface JwtClaims {
  sub: string
  role: Role | 'service'
  user_id?: number
  exp: number
  iat?: number
}

export interface UserProfile {
  id: number
  username: string
  name: string
  email: string
  role: Role
  is_verified: boolean
  created_at: string
}

export interface RegisterPayload {
  username: string
  name: string
  email: string
  password: string
}

export type Features = Record<string, unknown>

export interface Product {
  id: number
  name: string
  description: string | null
  price: string
  image_url: string | null
  features: Features | null
  stock: number | null
  created_at: string
  updated_at: string
}

export type ProductSort = 'price' | '-price' | 'name' | '-created_at'

export interface ProductQuery {
  page?: number
  page_size?: number
  q?: string
  min_price?: string
  max_price?: string
  sort?: ProductSort
  features?: Record<string, string>
}

export interface ProductInput {
  name?: string
  price?: string
  description?: string
  stock?: number
  features?: Features
  image?: File | null
}

export interface CartItem {
  id: number
  product_id: number
  name: string
  unit_price: string
  quantity: number
  line_total: string
  stock: number | null
  /** Not archived, stock known and enough for the quantity (the server decides). */
  available: boolean
}

export interface Cart {
  id: number | null
  items: CartItem[]
  total: string
}

export interface CheckoutResult {
  message: string
  order_id: number
  total: string
}

export interface Shortage {
  product_id: number
  requested: number
  available: number
}

export type OrderStatus = 'pending' | 'completed' | 'rejected' | 'cancelled'

export interface OrderItem {
  product_id: number
  name: string
  unit_price: string
  quantity: number
  line_total: string
}

export interface Order {
  id: number
  status: OrderStatus
  total: string
  created_at: string
  items: OrderItem[]
  user_id?: number
}

export interface StockLevel {
  product_id: number
  stock: number
  updated_at?: string
}

export interface StockMovementInput {
  product_id: number
  type: 'in' | 'out'
  quantity: number
  reason: string
}

export interface Movement {
  id: number
  product_id: number
  delta: number
  reason: string
  reference: string | null
  actor: string | number | null
  created_at: string
}
