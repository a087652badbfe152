import { defineConfig } from "vite";

// Served by FastAPI at "/": assets under /assets/, no CDN, everything bundled.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/graphql": "http://127.0.0.1:8000" } },
});
