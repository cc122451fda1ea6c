#!/bin/sh
# Installs the Debian packages oms needs to build, test and run, when any is missing.
# Runs as root on a fresh Debian 12; as another user it uses sudo if present.
#   sh scripts/install-deps.sh          # build, test, run
#   sh scripts/install-deps.sh --bench  # and what bench/run.sh needs: wrk, valgrind, and the
#                                       # baselines: PostgreSQL 15 (server, psql, pgbench),
#                                       # Redis 7 (server, redis-cli, redis-benchmark), nginx
# bench/run.sh starts private instances of the baselines (own data folder, own port); it never
# uses the system's. On a machine with systemd, installing these packages also starts their
# system services (Debian's default): the bench neither needs nor touches them.
set -eu
pkgs="build-essential cmake ninja-build pkg-config libh2o-evloop-dev libssl-dev libjansson-dev
libsqlite3-dev sqlite3 libicu-dev libcmocka-dev libcurl4-openssl-dev curl ca-certificates jq"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs wrk valgrind postgresql-15 postgresql-client-15
redis-server redis-tools nginx"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
