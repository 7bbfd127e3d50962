import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium package; the browser tests use it and no downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
const TOOLS = path.join(__dirname, '..', '..', 'deploy', 'local', 'test-tools.sh');

/**
 * Installs chromium when it is missing (deploy/local/test-tools.sh, the step `make test` runs too), so a fresh CI
 * machine needs nothing by hand. When it cannot be installed the test fails here, saying so, rather than skipping.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  try {
    execFileSync('bash', [TOOLS], { stdio: 'inherit', timeout: 15 * 60_000 });
  } catch (err) {
    throw new Error(
      `the browser tests need ${CHROMIUM} (Debian package chromium) and installing it failed: ${(err as Error).message}`,
    );
  }
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the browser tests need ${CHROMIUM} (Debian package chromium); deploy/local/test-tools.sh did not install it`,
    );
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a profile of its own (deleted on close), no network of its own, no first-run work. */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const profile = mkdtempSync(path.join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
