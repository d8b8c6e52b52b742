#!/usr/bin/env bash
# Makes sure the programs the end-to-end tests drive are installed: SIPp (Debian
# package sip-tester), redis-server, and for the TLS tests stunnel4 and openssl
# (Debian's SIPp is built without OpenSSL, so stunnel carries its TCP over TLS;
# openssl makes the test certificates). As root it installs what is missing with
# apt-get; otherwise it stops and says exactly what to install.
set -euo pipefail

missing=()
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v stunnel >/dev/null 2>&1 || missing+=(stunnel4)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${TRUNKROUTE_WITH_KAMAILIO:-0}" = "1" ]; then
  command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
  echo "trunkroute tests need: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "trunkroute tests need: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
  exit 1
fi

echo "installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a redis-server on 6379 through its init script where it can;
# the tests start their own on free ports and never use that one.
