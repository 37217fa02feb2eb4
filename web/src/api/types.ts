/**
 * Wire shapes of the microshop services (docs/architecture.md#wire-shapes), named for the app.
 * They come from the services' OpenAPI documents through src/api/generated/ (`make api-types`),
 * so a changed schema fails the type check here instead of at run time. Money is a decimal string.
 */
import type { components as AuthComponents } from './generated/auth'
import type { components as InventoryComponents } from './generated/inventory'
import type { components as ProductsComponents, paths as ProductsPaths } from './generated/products'

type AuthSchemas = AuthComponents['schemas']
type ProductsSchemas = ProductsComponents['schemas']
type InventorySchemas = InventoryComponents['schemas']

// --- auth ---------------------------------------------------------------------------------

export type TokenPair = AuthSchemas['TokenPair']
export type UserProfile = AuthSchemas['UserRead']
export type RegisterPayload = AuthSchemas['UserCreate']
export type RegisterResult = AuthSchemas['RegisterResponse']
export type LoginPayload = AuthSchemas['LoginRequest']
export type RefreshPayload = AuthSchemas['RefreshRequest']
export type VerifyPayload = AuthSchemas['VerifyRequest']
export type EmailPayload = AuthSchemas['EmailRequest']
export type Message = AuthSchemas['MessageResponse']

// --- products, cart, orders ---------------------------------------------------------------

export type Product = ProductsSchemas['ProductRead']
export type Features = Product['features']
export type ProductPage = ProductsSchemas['Page_ProductRead_']
export type ProductSort = NonNullable<ProductListQuery['sort']>
type ProductListQuery = NonNullable<ProductsPaths['/api/products']['get']['parameters']['query']>
/** The documented list parameters, plus the `feature.<key>=<value>` filters (one query key per feature). */
export type ProductQuery = ProductListQuery & { features?: Record<string, string> }

/** The multipart form that creates or edits a product, before it is encoded: features as an object, the image as a File. */
type ProductForm = ProductsPaths['/api/products/{product_id}']['post']['requestBody']['content']['multipart/form-data']
export type ProductInput = Omit<ProductForm, 'features' | 'image'> & { features?: Features; image?: File | null }

export type Cart = ProductsSchemas['CartRead']
export type CartItem = ProductsSchemas['CartItemRead']
export type CartItemCreate = ProductsSchemas['CartItemCreate']
export type CartItemUpdate = ProductsSchemas['CartItemUpdate']
export type CheckoutResult = ProductsSchemas['CheckoutRead']
export type Order = ProductsSchemas['OrderRead']
export type OrderItem = ProductsSchemas['OrderItemRead']
export type OrderStatus = Order['status']
export type OrderPage = ProductsSchemas['Page_OrderRead_']
export type OrderEvent = ProductsSchemas['OrderEventRead']
export type PaymentStatus = Order['payment_status']
/** The admin's filters of the order list and its CSV export. */
export type OrderFilters = Omit<
  NonNullable<ProductsPaths['/api/admin/orders']['get']['parameters']['query']>,
  'page' | 'page_size'
>
export type ShipBody = ProductsSchemas['ShipBody']

// --- checkout choices -----------------------------------------------------------------------

export type Address = ProductsSchemas['AddressRead']
export type AddressFields = ProductsSchemas['AddressFields']
export type AddressCreate = ProductsSchemas['AddressCreate']
export type ShippingMethod = ProductsSchemas['ShippingMethodRead']
export type ShippingMethodCreate = ProductsSchemas['ShippingMethodCreate']
export type ShippingMethodUpdate = ProductsSchemas['ShippingMethodUpdate']
/** What the admin's form edits (the default is moved by its own choice, never switched off). */
export type ShippingMethodFields = Omit<ShippingMethodCreate, 'is_default'>
export type PaymentMethod = ProductsSchemas['PaymentMethodRead']
export type PaymentMethodUpdate = ProductsSchemas['PaymentMethodUpdate']
export type ShippingKind = PaymentMethod['fits'][number]
export type CheckoutRequest = ProductsSchemas['CheckoutRequest']
export type Quote = ProductsSchemas['QuoteRead']

// --- inventory ----------------------------------------------------------------------------

export type StockLevel = InventorySchemas['InventoryItemRead']
export type StockSet = InventorySchemas['StockSet']
export type StockMovementInput = InventorySchemas['StockEntry']
export type Movement = InventorySchemas['MovementRead']
export type MovementPage = InventorySchemas['Page_MovementRead_']
/** One line of a refused checkout's `details.short`: Inventory's shortage, passed on by Products. */
export type Shortage = InventorySchemas['ShortItem']

// --- the app's own (in no schema) -----------------------------------------------------------

/** The roles a person can have (service tokens never reach the browser). */
export type Role = 'user' | 'admin'

/** What the SPA reads from an access token; the services verify it, the browser only decodes it. */
export interface JwtClaims {
  sub: string
  role: Role | 'service'
  user_id?: number
  exp: number
  iat?: number
}
