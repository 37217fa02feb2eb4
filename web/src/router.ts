import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    requiresAuth?: boolean
    requiresAdmin?: boolean
    guestOnly?: boolean
    /** A checkout step's name (stores/checkout.ts STEPS). */
    step?: string
  }
}

const admin = { requiresAuth: true, requiresAdmin: true }

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  scrollBehavior: () => ({ top: 0 }),
  routes: [
    { path: '/', redirect: { name: 'home' } },
    { path: '/login', name: 'login', component: () => import('@/pages/LoginPage.vue'), meta: { title: 'Log in', guestOnly: true } },
    { path: '/register', name: 'register', component: () => import('@/pages/RegisterPage.vue'), meta: { title: 'Create account', guestOnly: true } },
    { path: '/verify', name: 'verify', component: () => import('@/pages/VerifyPage.vue'), meta: { title: 'Verify account' } },
    { path: '/home', name: 'home', component: () => import('@/pages/HomePage.vue'), meta: { title: 'Catalog' } },
    { path: '/products/:id(\\d+)', name: 'product', component: () => import('@/pages/ProductDetailPage.vue'), props: true, meta: { title: 'Product' } },
    { path: '/cart', name: 'cart', component: () => import('@/pages/CartPage.vue'), meta: { title: 'Cart', requiresAuth: true } },
    {
      path: '/checkout',
      component: () => import('@/pages/checkout/CheckoutLayout.vue'),
      meta: { title: 'Checkout', requiresAuth: true },
      children: [
        { path: '', redirect: { name: 'checkout-address' } },
        { path: 'address', name: 'checkout-address', component: () => import('@/pages/checkout/AddressStep.vue'), meta: { step: 'address', title: 'Checkout: address' } },
        { path: 'shipping', name: 'checkout-shipping', component: () => import('@/pages/checkout/ShippingStep.vue'), meta: { step: 'shipping', title: 'Checkout: shipping' } },
        { path: 'payment', name: 'checkout-payment', component: () => import('@/pages/checkout/PaymentStep.vue'), meta: { step: 'payment', title: 'Checkout: payment' } },
        { path: 'review', name: 'checkout-review', component: () => import('@/pages/checkout/ReviewStep.vue'), meta: { step: 'review', title: 'Checkout: review' } },
      ],
    },
    { path: '/checkout/confirmation/:id(\\d+)', name: 'checkout-confirmation', component: () => import('@/pages/OrderDetailPage.vue'), props: (r) => ({ id: r.params.id, confirmation: true }), meta: { title: 'Order placed', requiresAuth: true } },
    { path: '/orders', name: 'orders', component: () => import('@/pages/OrdersPage.vue'), meta: { title: 'My orders', requiresAuth: true } },
    { path: '/orders/:id(\\d+)', name: 'order', component: () => import('@/pages/OrderDetailPage.vue'), props: true, meta: { title: 'Order', requiresAuth: true } },
    { path: '/admin/products/new', name: 'admin-product-new', component: () => import('@/pages/admin/ProductFormPage.vue'), meta: { title: 'New product', ...admin } },
    { path: '/admin/products/:id(\\d+)/edit', name: 'admin-product-edit', component: () => import('@/pages/admin/ProductFormPage.vue'), props: true, meta: { title: 'Edit product', ...admin } },
    { path: '/admin/inventory', name: 'admin-inventory', component: () => import('@/pages/admin/InventoryPage.vue'), meta: { title: 'Inventory', ...admin } },
    { path: '/admin/orders', name: 'admin-orders', component: () => import('@/pages/admin/AdminOrdersPage.vue'), meta: { title: 'Fulfilment', ...admin } },
    { path: '/admin/orders/:id(\\d+)', name: 'admin-order', component: () => import('@/pages/admin/AdminOrderDetailPage.vue'), props: true, meta: { title: 'Order', ...admin } },
    { path: '/admin/shipping-methods', name: 'admin-shipping', component: () => import('@/pages/admin/ShippingMethodsPage.vue'), meta: { title: 'Shipping methods', ...admin } },
    { path: '/admin/payment-methods', name: 'admin-payments', component: () => import('@/pages/admin/PaymentMethodsPage.vue'), meta: { title: 'Payment methods', ...admin } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue'), meta: { title: 'Not found' } },
  ],
})

function loginRedirect(to: RouteLocationNormalized, reason?: string) {
  return { name: 'login', query: { redirect: to.fullPath, ...(reason ? { reason } : {}) } }
}

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  auth.initialize()
  // An expired access token is renewed before the page loads; a refused refresh ends the session.
  if (auth.isAuthenticated && auth.isExpired()) {
    const renewed = await auth.refresh().catch(() => true)
    if (!renewed) {
      auth.clear()
      return loginRedirect(to, 'expired')
    }
    auth.initialize()
  }
  if ((to.meta.requiresAuth || to.meta.requiresAdmin) && !auth.isAuthenticated) return loginRedirect(to)
  if (to.meta.requiresAdmin && !auth.isAdmin) return { name: 'home' }
  if (to.meta.guestOnly && auth.isAuthenticated) return { name: 'home' }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · microshop` : 'microshop'
})
