#!/usr/bin/env bash
# What each release-profile setting buys: builds the `collect` Lambda binary
# with the settings switched on one at a time and prints its size in bytes.
# Uses its own target directory (target/sizes); takes three full release
# builds (about 15 minutes on 2 cores).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="$root/target/sizes"
bin="$CARGO_TARGET_DIR/release/collect"

build() { # lto codegen-units strip
  CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO="$1" CARGO_PROFILE_RELEASE_CODEGEN_UNITS="$2" CARGO_PROFILE_RELEASE_STRIP="$3" \
    cargo build --release -p collect --quiet
  stat -c %s "$bin"
}

base=$(build false 16 none)
stripped=$(build false 16 symbols)
lto=$(build fat 16 symbols)
one_unit=$(build fat 1 symbols)

printf '| profile | collect binary (bytes) | change |\n|---|---:|---:|\n'
printf '| opt-level 3, no LTO, 16 codegen units, not stripped | %s | |\n' "$base"
printf '| + strip = true | %s | %+d |\n' "$stripped" $((stripped - base))
printf '| + lto = true (fat) | %s | %+d |\n' "$lto" $((lto - stripped))
printf '| + codegen-units = 1 (what `sam build` adds) | %s | %+d |\n' "$one_unit" $((one_unit - lto))
