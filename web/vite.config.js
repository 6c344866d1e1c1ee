// The build is static files only: config.json (region, runtime, Cognito ids) is written beside index.html at
// deploy time by the web content stack, or by `make local`, and read at run time — never bundled.
import { defineConfig } from "vite";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
});
