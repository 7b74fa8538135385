import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';

/** WCAG 2.0 and 2.1, levels A and AA. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** axe-core over the page as it is now: no serious or critical violation. */
export async function expectAccessible(page: Page, what: string) {
  await test.step(`axe: ${what}`, async () => {
    const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}; at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    expect(bad, `${what}: serious or critical axe violations`).toEqual([]);
    // Not vacuous: axe looked at something (colour contrast among it).
    expect(results.passes.map((p) => p.id)).toContain('color-contrast');
  });
}

/** Presses Tab until `target` has the focus (keyboard only), failing after `max` presses. */
export async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}
