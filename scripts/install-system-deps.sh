#!/usr/bin/env bash
# Debian packages the tests need: speech synthesis for voice tests, Chromium for the browser test and
# PostgreSQL (initdb/pg_ctl) for the tests that run the shop on a real Postgres server.
set -euo pipefail
packages=(espeak-ng sox ffmpeg chromium postgresql)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
