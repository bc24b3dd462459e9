import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is served by browser mode (127.0.0.1) and by Electron's app:// protocol,
// so asset paths are relative and the build lands in renderer/dist (git-ignored).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
});
