// Screenshots for review: `node shots.mjs [path ...]` against YAJI_URL, as the
// demo owner, at 375 px and 1280 px in both languages, into out/shots/.
// Prints each page's horizontal overflow (scrollWidth beyond the viewport).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

if (process.argv.includes('--help')) {
  console.log('usage: YAJI_URL=http://127.0.0.1:PORT node shots.mjs [--as USER:PASSWORD] [path ...]');
  process.exit(0);
}
const base = process.env.YAJI_URL;
const args = process.argv.slice(2);
const asIdx = args.indexOf('--as');
const [who, pass] = asIdx >= 0 ? args.splice(asIdx, 2)[1].split(':') : ['chen.yuyan', 'yaji-demo-2026'];
const paths = args.length ? args : ['/', '/c/tea-house'];
mkdirSync('out/shots', { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (const lang of ['zh-CN', 'en']) {
  for (const width of [375, 1280]) {
    const ctx = await browser.newContext({ viewport: { width, height: width === 375 ? 812 : 900 }, locale: lang });
    const page = await ctx.newPage();
    if (who !== 'visitor') {
      await page.goto(base + '/login');
      await page.fill('#username', who);
      await page.fill('#password', pass);
      await page.click('main form button[type=submit]');
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
      // Follow the browser's language, not the profile's.
      await page.goto(`${base}/lang/${lang}?next=/`);
    }
    for (const p of paths) {
      const resp = await page.goto(base + p);
      if (resp.status() >= 400) console.log('HTTP ' + resp.status() + ' ' + p);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const name = `${lang}-${width}-${p.replace(/[^a-z0-9]+/gi, '_')}.png`;
      await page.screenshot({ path: `out/shots/${name}`, fullPage: !!process.env.FULL_PAGE });
      console.log(`${over > 0 ? 'OVERFLOW ' + over + 'px' : 'ok'} ${name}`);
    }
    await ctx.close();
  }
}
await browser.close();
