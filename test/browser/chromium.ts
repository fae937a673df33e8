/**
 * Headless Chromium for the browser test, driven by playwright-core (which never downloads a
 * browser here: it starts the system's Chromium). The flags expose WebGPU on a GPU-less Linux
 * machine through Vulkan, which Mesa's lavapipe provides.
 */
import { chromium, type Browser } from 'playwright-core';

/** The Debian package `chromium`; HRM_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env.HRM_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
  // Nothing outside the test server is reachable, and nothing should be tried.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Starts Chromium with a fresh temporary profile (playwright makes one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 20_000 });
}
