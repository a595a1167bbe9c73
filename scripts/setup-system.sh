#!/usr/bin/env bash
# Installs what Tepai needs from Debian (idempotent; run as root, or with sudo available).
#   scripts/setup-system.sh run   - to run the bot: Pango/HarfBuzz for PDF, a CJK font
#   scripts/setup-system.sh test  - also PostgreSQL, Redis, nginx, poppler-utils, LibreOffice Calc and Chromium for the tests
#   scripts/setup-system.sh proxy - nginx only, for the host in front of the webhook workers (docs/deploy.md)
# No service starts while packages install (a policy-rc.d of ours for the time of apt-get): the
# tests start their own PostgreSQL, Redis and nginx on ports of their own, and an operator starts
# nginx once the site is in place.
set -euo pipefail
purpose=${1:-run}
case "$purpose" in
  run|test) # python3-venv: a bare Debian 12 cannot make the virtual environment `make run` needs without it.
    packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-wqy-microhei) ;;
  proxy) packages=(nginx) ;;
  *) echo "usage: $0 run|test|proxy" >&2; exit 2 ;;
esac
if [ "$purpose" = test ]; then
  # LibreOffice renders the XLSX roster's print preview to PDF for the visual check (tests/rendering.py).
  packages+=(postgresql redis-server poppler-utils libreoffice-calc-nogui chromium)  # chromium: the console's browser tests; redis-server: the webhook workers' shared lock and state
  # systemd: `systemd-analyze verify` checks deploy/systemd (nothing starts: no init in a container).
  # nginx: `nginx -t` on deploy/nginx/tepai.conf, and the site run on a test port in front of a
  # stand-in worker (tests/test_deploy_files.py); never started as a service here (below).
  packages+=(systemd nginx)
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

# Debian starts a service its package installs (nginx on port 80, redis-server on 6379, …) unless
# /usr/sbin/policy-rc.d exits 101. Ours stands there for the time of the install; the one that was
# there before (a container's, say) is put back, also after a run that was killed halfway (the
# saved copy outlives it, and a policy of ours found at the start is never taken for the original).
# One run at a time (flock): two at once would save each other's policy.
policy=/usr/sbin/policy-rc.d
saved=/usr/sbin/policy-rc.d.tepai-saved
ours="tepai: services stay stopped while scripts/setup-system.sh installs"
exec 9>/tmp/tepai-setup-system.lock
flock 9
release_services() {
  if [ -e "$saved" ]; then
    $sudo mv -f "$saved" "$policy"
  elif grep -qs "$ours" "$policy"; then
    $sudo rm -f "$policy"
  fi
}
if [ -e "$policy" ] && ! grep -qs "$ours" "$policy" && [ ! -e "$saved" ]; then
  $sudo cp -p "$policy" "$saved"
fi
trap release_services EXIT
printf '#!/bin/sh\n# %s\nexit 101\n' "$ours" | $sudo tee "$policy.tepai-new" >/dev/null
$sudo chmod 755 "$policy.tepai-new"
$sudo mv -f "$policy.tepai-new" "$policy"

# Wait for another apt/dpkg run (a second set-up in parallel) instead of failing on its lock.
apt_opts=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${apt_opts[@]}" update -qq
$sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

if [ "$purpose" = test ] && [[ " ${missing[*]} " == *" nginx "* ]]; then
  # Nor at the next boot: the tests run nginx themselves, on a port of their own.
  if command -v deb-systemd-helper >/dev/null; then $sudo deb-systemd-helper disable nginx.service >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null; then $sudo update-rc.d nginx disable >/dev/null 2>&1 || true; fi
fi
