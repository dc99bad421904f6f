#!/usr/bin/env bash
# deps.sh [runtime|test|ci]: installs the Debian 12 packages Ferry needs that are missing.
# Sourced or run by scripts/launch and scripts/test. Needs root or sudo only when something
# is actually missing.
set -euo pipefail

build_packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libssl-dev libsqlite3-dev libjson-glib-dev
  libsoup-3.0-dev zlib1g-dev libqrencode-dev
  glib-networking desktop-file-utils appstream adwaita-icon-theme fonts-dejavu-core
)
test_packages=(
  xvfb xauth dbus dbus-x11 at-spi2-core python3-dogtail python3-pyatspi imagemagick
  socat time openssl unzip zbar-tools
)

ci_packages=(clang libclang-rt-14-dev)

wanted=("${build_packages[@]}")
case "${1:-runtime}" in
  test) wanted+=("${test_packages[@]}") ;;
  ci) wanted+=("${test_packages[@]}" "${ci_packages[@]}") ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing Debian packages: ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "These packages are missing and this is not root, and sudo is not installed:" >&2
    echo "  ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
