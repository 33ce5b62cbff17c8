#!/usr/bin/env bash
# Builds ecsim with profile-guided optimisation (PGO): an instrumented
# release build runs a training set of shipped scenarios, LLVM merges the
# counts it wrote, and a second release build lays out and inlines the code
# by them. Same source, same outputs byte for byte; about 8% less CPU than
# the plain release build on the plain batch and the ECS-max day since that
# build inlines the per-task path itself (a quarter less before; README,
# Performance). Takes two release builds (a few minutes on two cores).
#
#   scripts/pgo-build.sh            # binary: target/pgo/ecsim
#
# Needs llvm-profdata of the LLVM major version rustc was built with
# (`rustc -vV` tells): rustup's llvm-tools component, or a distribution's
# llvm-N package (Debian: llvm-22 for rustc 1.95). PGO_TARGET_DIR moves the
# build (default target/pgo); RUSTFLAGS set by the caller are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="${PGO_TARGET_DIR:-$root/target/pgo}"
case "$out" in /*) ;; *) out="$root/$out" ;; esac

# The profile format follows LLVM's major version: find a matching tool.
major="$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')"
host="$(rustc -vV | sed -n 's/^host: //p')"
profdata=""
for candidate in \
  "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata" \
  "$(command -v "llvm-profdata-$major" || true)" \
  "$(command -v llvm-profdata || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  if "$candidate" --version 2>/dev/null | grep -Eq "LLVM version $major\."; then
    profdata="$candidate"
    break
  fi
done
if [ -z "$profdata" ]; then
  echo "pgo-build: no llvm-profdata for LLVM $major (the version rustc was built with)." >&2
  echo "  Install rustup's llvm-tools component (rustup component add llvm-tools)" >&2
  echo "  or your distribution's llvm-$major package, then run this again." >&2
  exit 1
fi

profiles="$out/profiles"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$profiles"
mkdir -p "$profiles"

echo "pgo-build: instrumented build (target dir $out/gen)" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$profiles" \
  cargo build --release --quiet --target-dir "$out/gen"
gen="$out/gen/release/ecsim"

# The training set: every kind of work the shipped scenarios and studies
# ask for, so that no command's code is left cold (code the training never
# ran is laid out as rarely used, and runs slower than in a plain build).
# Runs of every shipped scenario but the month (the day stands for it), all
# outputs, and the plain batch summary only; charts of a run, a sweep and a
# comparison; every cost comparison; the placement sweep; the optimize
# study. One job each, so that the counts are the same every time.
echo "pgo-build: training runs" >&2
for s in scenarios/*.toml scenarios/teaching/*.toml scenarios/capacity/*.toml \
         scenarios/scale/ecs-max-day.toml scenarios/scale/plain-batch.toml; do
  "$gen" run "$s" --out "$work/run-$(basename "$s" .toml)" >/dev/null
done
"$gen" run scenarios/scale/plain-batch.toml --outputs summary --out "$work/batch-summary" >/dev/null
for s in scenarios/cost/*.toml; do
  "$gen" compare "$s" --out "$work/compare-$(basename "$s" .toml)" >/dev/null
done
"$gen" sweep scenarios/sweeps/placement-strategy.toml --jobs 1 --out "$work/sweep" >/dev/null
for s in scenarios/optimize/*.toml; do
  "$gen" optimize "$s" --jobs 1 --out "$work/optimize-$(basename "$s" .toml)" >/dev/null
done
if "$gen" plot --help >/dev/null 2>&1; then
  "$gen" plot "$work/run-quickstart" --out "$work/charts-run" >/dev/null
  "$gen" plot "$work/sweep" --out "$work/charts-sweep" >/dev/null
  "$gen" plot "$work/compare-steady" --out "$work/charts-compare" >/dev/null
fi

"$profdata" merge -o "$out/ecsim.profdata" "$profiles"

echo "pgo-build: optimised build (target dir $out/use)" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$out/ecsim.profdata" \
  cargo build --release --quiet --target-dir "$out/use"
cp "$out/use/release/ecsim" "$out/ecsim"
echo "$out/ecsim"
