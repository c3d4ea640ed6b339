/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The C++ server (src/dashboard) embeds dist/ and serves index.html at /, /ui/..., /login and
// /logout, the hashed files under /assets/. `npm run dev` proxies the API to a running waxd:
// WAX_URL=http://127.0.0.1:PORT npm run dev.
const api = process.env.WAX_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/auth': { target: api },
      '/dataflows': { target: api },
      '/secrets': { target: api },
      '/namespaces': { target: api },
      '/login': { target: api },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
