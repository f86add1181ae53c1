#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the local stack lacks. Checks
# files rather than package names, so machines that already have a tool
# (another JDK, say) are left alone. Needs root or sudo only when something
# is missing.
set -euo pipefail

# file-or-command  package
REQUIRED="
/usr/lib/postgresql/15/bin/postgres          postgresql-15
/usr/bin/psql                                postgresql-client-15
/usr/share/postgresql/15/extension/postgis.control  postgresql-15-postgis-3
/usr/bin/pg_config                           libpq-dev
redis-server                                 redis-server
redis-cli                                    redis-tools
javac                                        openjdk-17-jdk-headless
mvn                                          maven
curl                                         curl
gcc                                          gcc
/usr/include/python3.11/Python.h             python3-dev
/usr/lib/x86_64-linux-gnu/libmagic.so.1      libmagic1
/usr/lib/x86_64-linux-gnu/libgomp.so.1       libgomp1
/usr/share/fonts/truetype/tlwg/Loma.ttf      fonts-thai-tlwg
chromium                                     chromium
npm                                          npm
/usr/sbin/nginx                              nginx
ab                                           apache2-utils
"

missing=()
while read -r what package; do
  [ -n "$what" ] || continue
  if [ "${what#/}" != "$what" ]; then
    [ -e "$what" ] && continue
  else
    command -v "$what" >/dev/null && continue
  fi
  missing+=("$package")
done <<<"$REQUIRED"

# A virtualenv needs ensurepip, which Debian's own python3 keeps apart.
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends "${missing[@]}"
