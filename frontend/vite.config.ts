import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

// Three pages: the operator/planner app (/), the public embed (/embed) and the
// driver's cabinet (/cabinet).
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
        cabinet: resolve(__dirname, "cabinet.html"),
      },
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
