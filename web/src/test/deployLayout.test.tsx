// The deploy form laid out by a real browser (jsdom has no layout): the Recovery box must stay
// inside its column. Skipped where Chromium is missing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { DeployPage } from '../pages/DeployPage';
import { fakeFetch, json } from './fakeFetch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

afterEach(() => setFetch((...a) => globalThis.fetch(...a)));

describe.skipIf(!existsSync(CHROMIUM))('the deploy form in a browser', () => {
  it('keeps the Recovery box inside the form', async () => {
    setFetch(fakeFetch([(c) => (c.url.startsWith('/secrets') ? json({ secrets: [] }) : json({ items: [] }))]).fetch);
    const container = document.createElement('div');
    document.body.appendChild(container);
    const root = createRoot(container);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await act(async () => {
      (container.querySelector('[data-testid="deploy-recovery"]') as HTMLInputElement).click();
    });
    const html = container.innerHTML;
    act(() => root.unmount());
    const css = readFileSync(path.resolve(__dirname, '../styles.css'), 'utf8');

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      for (const width of [1280, 900]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.setContent(`<style>${css}</style><main>${html}</main>`);
        const overflow = await page.evaluate(() => {
          const form = document.querySelector('[data-testid="deploy-form"]')!.getBoundingClientRect();
          const fieldset = document.querySelector('[data-testid="deploy-recovery"]')!.closest('fieldset')!;
          const box = fieldset.getBoundingClientRect();
          let inside = 0;
          for (const el of fieldset.querySelectorAll('input, select')) {
            inside = Math.max(inside, el.getBoundingClientRect().right - box.right);
          }
          return { box: box.right - form.right, inside };
        });
        expect(overflow.box, `the Recovery box sticks out at ${width}px`).toBeLessThanOrEqual(0.5);
        expect(overflow.inside, `a Recovery field sticks out at ${width}px`).toBeLessThanOrEqual(0.5);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }, 30_000);
});
