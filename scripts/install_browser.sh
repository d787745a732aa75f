#!/usr/bin/env bash
# Install what the browser tests and `critmin report --pdf` need, from Debian's packages:
#   chromium        headless browser driven by Playwright (executable_path) and used to print PDFs
#   fonts-noto-cjk  system CJK fonts (the dashboard ships its own Noto Sans KR; these cover
#                   Chromium's UI fallback and any character outside the vendored subsets)
# Idempotent: does nothing when both are present. Needs root (or sudo) to install.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  echo "install_browser: chromium and fonts-noto-cjk already installed" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install_browser: need root to install ${need[*]}. Fix: run as root, or apt-get install ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: no apt-get on this machine. Fix: install ${need[*]} with your package manager, or set CRITMIN_CHROMIUM" >&2
  exit 1
fi
echo "install_browser: installing ${need[*]} from Debian's packages" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
command -v chromium >/dev/null 2>&1 || { echo "install_browser: chromium still missing after install" >&2; exit 1; }
echo "install_browser: $(chromium --version 2>/dev/null)" >&2
