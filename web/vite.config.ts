/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, loadEnv, type ProxyOptions } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

/**
 * One origin for the browser: the dev and preview servers proxy the API paths to the
 * services (docs/architecture.md). nginx in compose and the Ingress use the same map.
 */
function serviceProxy(env: Record<string, string>): Record<string, ProxyOptions> {
  const host = env.MICROSHOP_SERVICES_HOST || '127.0.0.1'
  const target = (port: string | undefined, fallback: number): ProxyOptions => ({
    target: `http://${host}:${port || fallback}`,
    changeOrigin: true,
    xfwd: true,
  })
  const auth = target(env.AUTH_PORT, 8000)
  const products = target(env.PRODUCTS_PORT, 8001)
  const inventory = target(env.INVENTORY_PORT, 8002)
  return {
    '^/auth(/|$)': { ...auth, rewrite: (path) => path.replace(/^\/auth/, '') || '/' },
    '^/api/products(/|\\?|$)': products,
    '^/api/cart(/|\\?|$)': products,
    '^/api/orders(/|\\?|$)': products,
    '^/api/(addresses|shipping-methods|payment-methods|admin)(/|\\?|$)': products,
    '^/media/': products,
    '^/api/inventory(/|\\?|$)': inventory,
  }
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), '')
  const port = Number(env.WEB_PORT || 5173)
  const host = env.WEB_HOST || '127.0.0.1'
  const proxy = serviceProxy(env)
  return {
    plugins: [vue(), tailwindcss()],
    resolve: {
      alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
    },
    server: { host, port, strictPort: true, proxy },
    preview: { host, port, strictPort: true, proxy },
    build: { target: 'es2022', chunkSizeWarningLimit: 300 },
    test: {
      environment: 'happy-dom',
      include: ['tests/unit/**/*.spec.ts', 'src/**/__tests__/**/*.spec.ts'],
      restoreMocks: true,
      unstubGlobals: true,
    },
  }
})
