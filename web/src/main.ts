import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { setAuthHooks } from './api/client'
import { useAuthStore } from './stores/auth'
import { useCartStore } from './stores/cart'
import './style.css'

const app = createApp(App)
app.use(createPinia())

const auth = useAuthStore()
setAuthHooks({
  onTokens: (pair) => auth.setTokens(pair),
  onUnauthorized: ({ hadSession }) => {
    auth.clear()
    useCartStore().reset()
    const current = router.currentRoute.value
    if (current.name === 'login') return
    void router.push({
      name: 'login',
      query: { redirect: current.fullPath, ...(hadSession ? { reason: 'expired' } : {}) },
    })
  },
})
// Another tab logged in or out: follow it.
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key === 'token' || event.key === 'refresh_token') auth.initialize()
})

app.use(router)
app.mount('#app')
