import { writeFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

// emptyOutDir deletes dist/.gitkeep, which the Go embed needs in a fresh clone; put it back.
const keepPlaceholder: Plugin = {
  name: 'keep-dist-placeholder',
  closeBundle() {
    writeFileSync('dist/.gitkeep', '');
  },
};

export default defineConfig({
  plugins: [react(), keepPlaceholder],
  // Relative asset URLs: the same build is served by Wails' asset server and by the
  // e2e static server.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
