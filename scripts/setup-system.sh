#!/usr/bin/env bash
# Installs what Tepai needs from Debian (idempotent; run as root, or with sudo available).
#   scripts/setup-system.sh run   - to run the bot: Pango/HarfBuzz for PDF, a CJK font
#   scripts/setup-system.sh test  - also PostgreSQL, poppler-utils, LibreOffice Calc and Chromium for the tests
set -euo pipefail
purpose=${1:-run}
# python3-venv: a bare Debian 12 cannot make the virtual environment `make run` needs without it.
packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-wqy-microhei)
if [ "$purpose" = test ]; then
  # LibreOffice renders the XLSX roster's print preview to PDF for the visual check (tests/rendering.py).
  packages+=(postgresql redis-server poppler-utils libreoffice-calc-nogui chromium)  # chromium: the console's browser tests; redis-server: the webhook workers' shared lock and state
  # systemd: `systemd-analyze verify` checks deploy/systemd (nothing starts: no init in a container).
  # nginx is not installed: its package starts a server on port 80; its test skips without it.
  packages+=(systemd)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (a second set-up in parallel) instead of failing on its lock.
apt_opts=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${apt_opts[@]}" update -qq
$sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
