import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

// Two pages: the operator/planner app (/) and the public embed (/embed).
export default defineConfig({
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        index: resolve(__dirname, "index.html"),
        embed: resolve(__dirname, "embed.html"),
      },
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
