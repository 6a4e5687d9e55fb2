// `npm run check:boundaries`: exits 1 and lists each import that crosses a module boundary
// (rules in boundary-rules.ts, docs/ARCHITECTURE.md "Boundaries").
import { checkBoundaries, formatViolation } from './check-boundaries.js';

const violations = checkBoundaries(process.cwd());
for (const v of violations) console.error(formatViolation(v));
if (violations.length > 0) {
  console.error(`${violations.length} boundary violation(s)`);
  process.exit(1);
}
console.log('module boundaries hold');
