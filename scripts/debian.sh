# Sourced by demo.sh and test.sh: Debian packages stem4d needs, installed with apt-get when missing (as root).
# `need_build_tools` adds what `npm run build` needs; `install_needed WHAT` installs everything added to `need`.
need=()

need_build_tools() {
  # clang and lld compile the zstd library into build/zstd.wasm (scripts/build-zstd-wasm.mjs).
  { command -v clang && command -v wasm-ld; } >/dev/null 2>&1 || need+=(clang lld)
}

install_needed() {
  [ ${#need[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} from Debian" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: missing ${need[*]} and not root: $1" >&2
  fi
}
