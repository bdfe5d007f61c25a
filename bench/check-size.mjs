// The size budget: exits 1 when a bundle is over its min+gzip budget.
// Measured exactly as bench/size.mjs measures (esbuild bundle --minify, gzip -9).
// Needs a build (`npm run build`) and esbuild (a devDependency of the package).
//
//   node bench/check-size.mjs
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureSdk } from './size.mjs';
import { BUDGETS } from './budgets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const { file } of BUDGETS) {
  if (!existsSync(join(root, file))) {
    console.error(`check-size: ${file} is missing; run \`npm run build\` first`);
    process.exit(2);
  }
}

const sizes = await measureSdk();
const fmt = (n) => n.toLocaleString('en-US');
let over = 0;
for (const { file, label, max } of BUDGETS) {
  const bytes = sizes[file].gzip;
  const delta = bytes - max;
  const verdict =
    delta > 0
      ? `OVER by ${fmt(delta)} bytes (${((delta / max) * 100).toFixed(1)} %)`
      : `ok, ${fmt(-delta)} bytes to spare`;
  console.log(
    `${label.padEnd(32)} ${fmt(bytes).padStart(7)} B min+gzip  budget ${fmt(max).padStart(7)} B  ${verdict}`,
  );
  if (delta > 0) over++;
}
if (over > 0) {
  console.error(
    `\ncheck-size: ${over} bundle${over > 1 ? 's are' : ' is'} over the size budget (see above).`,
  );
  process.exit(1);
}
console.log('\ncheck-size: every bundle is within its budget.');
