#!/usr/bin/env bash
# Debian packages the tests need: speech synthesis for voice tests, Chromium for the browser test,
# PostgreSQL (initdb/pg_ctl) for the tests that run the shop on a real Postgres server, and nginx with
# envsubst (gettext-base) for the two-replica deployment test (tests/deploy, deploy/proxy-entrypoint.sh).
set -euo pipefail
packages=(espeak-ng sox ffmpeg chromium postgresql nginx gettext-base)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
