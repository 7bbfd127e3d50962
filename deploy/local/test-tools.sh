#!/usr/bin/env bash
# Tools the test suite needs beyond the stack: Debian's docker-compose (validates the compose file offline; no
# engine needed), PyYAML (parses the Kubernetes manifests) and Debian's chromium (the console's browser tests, at
# /usr/bin/chromium; fonts-liberation so pages render text). Installed once, when missing.
set -euo pipefail
missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation)
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "[ferry] tests need: ${missing[*]} (install them)" >&2; exit 1; }
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
echo "[ferry] installing test tools: ${missing[*]}" >&2
$sudo apt-get update -qq >/dev/null
# --no-install-recommends: docker-compose otherwise pulls in a whole Docker engine we neither need nor run.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
