#!/usr/bin/env bash
# The package as a user gets it: pack the tarball, install it into a scratch project in a temporary
# folder (registry dependencies only, no optional peers), then use it the ways the README says:
# the CLI through npx, registerConformance in the user's vitest suite, the API from node:test and
# from plain node with no loader, and the Python adapter kit. Prints the default install size and
# the CLI's start time. Run from anywhere: bash scripts/clean-install.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/regproof-clean-install.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'clean-install: %s\n' "$*" >&2; exit 1; }

step "npm pack (builds dist/ through prepack)"
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$scratch" | tail -n 1)"
tar -tzf "$scratch/$tarball" > "$scratch/contents.txt"
for f in package/dist/src/index.js package/dist/src/index.d.ts package/dist/src/index.js.map package/src/index.ts \
  package/dist/src/runner/vitest.js package/bin/regproof.mjs package/adapters/torch_adapter.py package/adapters/regproof_adapter.py; do
  grep -qx "$f" "$scratch/contents.txt" || fail "the tarball lacks $f"
done
if grep -q '\.test\.ts$' "$scratch/contents.txt"; then fail 'the tarball ships test files'; fi
if grep -q 'tsbuildinfo$' "$scratch/contents.txt"; then fail "the tarball ships the build's incremental state"; fi

step "npm install of the tarball into a scratch project"
mkdir "$scratch/project" && cd "$scratch/project"
printf '{ "name": "scratch", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "../$tarball"
size_mb="$(du -sm node_modules | cut -f1)"
scripts="$(npm install-scripts ls 2>&1 || true)"
case "$scripts" in *'have install scripts'*) fail "the default install runs install scripts: $scripts" ;; esac
[ -e node_modules/@tensorflow ] && fail 'the default install pulled in TensorFlow.js'
[ -e node_modules/tsx ] && fail 'the default install pulled in tsx'
[ "$size_mb" -le 120 ] || fail "the default install is $size_mb MB (goal: at most 120 MB)"

step "the CLI"
version="$(npx regproof --version)"
[ "$version" = "regproof $(node -p "require('$repo/package.json').version")" ] || fail "--version printed '$version'"
npx regproof > usage.txt && grep -q 'regproof explain' usage.txt || fail 'no usage text without arguments'
# Output goes to files before grep reads it: grep -q stopping early would break the writer's pipe.
npx regproof verify -h > help.txt && grep -q '^usage: regproof verify' help.txt || fail 'verify -h printed no usage'
npx regproof --list --only mse. > list.txt && grep -qx 'mse\.mean-divides-by-every-element' list.txt || fail '--list --only mse. misses the mse claim'
npx regproof --list --json > list.json && node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")); if (!(c.length > 20 && c.every((x) => x.id && x.statement))) process.exit(1)' < list.json \
  || fail '--list --json is not a list of ids and statements'
npx regproof verify --runs 3 > verify.txt || { cat verify.txt; fail 'regproof verify failed'; }
tail -n 1 verify.txt
if npx regproof verify --backend tfjs --only mse. 2> tfjs.txt; then fail '--backend tfjs ran without TensorFlow.js installed'; fi
grep -q 'npm install @tensorflow/tfjs' tfjs.txt || { cat tfjs.txt; fail 'no install hint for a missing tfjs'; }
cat > backend.mjs <<'JS'
import { referenceBackend } from 'regproof';
export default () => referenceBackend({ name: 'user-module' });
JS
npx regproof verify --backend ./backend.mjs --only mse.,graph. --runs 3 > module.txt && grep -q 'backend user-module' module.txt || fail 'a JavaScript backend module did not load'
printf 'export { default } from "./backend.mjs";\n' > backend.ts
if npx regproof verify --backend ./backend.ts --only mse. 2> ts.txt; then fail 'a .ts module loaded without tsx installed'; fi
grep -q 'npm install --save-dev tsx' ts.txt || { cat ts.txt; fail 'no install hint for tsx'; }

step "the API from plain node (no loader) and from node:test"
node --input-type=module -e "
import { ALL_CLAIMS, referenceBackend, runClaim } from 'regproof';
const claim = ALL_CLAIMS.find((c) => c.id === 'mse.mean-divides-by-every-element');
const result = await runClaim(claim, referenceBackend(), { runs: 5, seed: 1 });
if (result.verdict !== 'pass') throw new Error('verdict ' + result.verdict);
console.log('plain node:', claim.id, result.verdict);
"
cat > api.test.mjs <<'JS'
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SGD, l2Penalty, referenceBackend, runClaim, ALL_CLAIMS, tensor } from 'regproof';

test('l2Penalty is λ·0.5·Σw² and its gradient is λ·w', () => {
  const w = tensor([[3, -4]], { requiresGrad: true });
  const penalty = l2Penalty([w], 0.5);
  assert.equal(penalty.item(), 0.5 * 0.5 * 25);
  penalty.backward();
  assert.deepEqual(Array.from(w.grad.data), [1.5, -2]);
  assert.equal(typeof SGD, 'function');
});

test('a claim passes on the reference backend', async () => {
  const claim = ALL_CLAIMS.find((c) => c.id === 'graph.second-backward-throws');
  assert.equal((await runClaim(claim, referenceBackend(), { runs: 5, seed: 2 })).verdict, 'pass');
});
JS
node --test api.test.mjs

step "registerConformance in the user's vitest suite; a TypeScript backend module once tsx is installed"
npm install --no-audit --no-fund --loglevel=error --save-dev vitest tsx
npx regproof verify --backend ./backend.ts --only mse. --runs 3 > ts.txt && grep -q 'backend user-module' ts.txt \
  || { cat ts.txt; fail 'a TypeScript backend module did not load with tsx installed'; }
cat > conformance.test.ts <<'TS'
import { registerConformance } from 'regproof/vitest';
import { referenceBackend, type Backend } from 'regproof';

const backend: () => Backend = () => referenceBackend({ name: 'mine' });
registerConformance(backend, { runs: 3 });
TS
npx vitest run conformance.test.ts > vitest.txt 2>&1 || { cat vitest.txt; fail 'the vitest conformance suite failed'; }
grep -E 'Tests .*passed' vitest.txt

step "the Python adapter kit, from the installed package"
if command -v python3 > /dev/null; then
  awk '/<!-- example-adapter -->/ { found = 1; next } found && /^```python/ { inside = 1; next } inside && /^```/ { exit } inside' \
    node_modules/regproof/docs/protocol.md > minimal_adapter.py
  PYTHONPATH=node_modules/regproof/adapters npx regproof verify --cmd "python3 minimal_adapter.py" --runs 5 > kit.txt \
    || { cat kit.txt; fail 'the minimal Python adapter did not pass'; }
  grep -Eq '^[1-9][0-9]* passed, 0 failed, .* 0 backend errors' <(tail -n 1 kit.txt) || { cat kit.txt; fail 'the minimal Python adapter passed nothing'; }
  tail -n 1 kit.txt
else
  echo 'no python3 on PATH: skipped'
fi

step "figures"
# The fastest of five runs, in milliseconds: the least disturbed by whatever else the machine does.
best_ms() {
  local best="" start end ms
  for _ in 1 2 3 4 5; do
    start="$(date +%s%N)"; "$@" > /dev/null; end="$(date +%s%N)"
    ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best="$ms"; fi
  done
  echo "$best"
}
echo "default install: $size_mb MB in node_modules (goal: at most 120 MB)"
echo "regproof --version: $(best_ms node_modules/.bin/regproof --version) ms, best of 5" \
  "(goal: at most 300 ms; node -e 0 alone: $(best_ms node -e 0) ms)"
echo "clean install: ok"
