import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { connectSession, REFRESH_TOKEN_KEY, TOKEN_KEY, useAuthStore } from './stores/auth'
import { useCartStore } from './stores/cart'
import './style.css'

const app = createApp(App)
app.use(createPinia())

const auth = useAuthStore()
// The store forgets a lost session; the app then drops the cart and asks for a new login.
connectSession(({ hadSession }) => {
  useCartStore().reset()
  const current = router.currentRoute.value
  if (current.name === 'login') return
  void router.push({
    name: 'login',
    query: { redirect: current.fullPath, ...(hadSession ? { reason: 'expired' } : {}) },
  })
})
// Another tab logged in or out: follow it.
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key === TOKEN_KEY || event.key === REFRESH_TOKEN_KEY) auth.initialize()
})

app.use(router)
app.mount('#app')
