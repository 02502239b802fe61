#!/usr/bin/env bash
# Checks deploy/nginx/yizhan.conf with `nginx -t`: the file is included from a
# minimal http block in a temporary prefix, with a self-signed certificate in
# place of the real one. Installs nginx and openssl when they are missing.
# Exits non-zero when nginx refuses the file or warns about it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
site="$here/nginx/yizhan.conf"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# nginx lives in /usr/sbin, which is not on an ordinary user's PATH.
# On Debian 12, nginx-light is only nginx plus the echo module: install nginx.
find_nginx() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }
need=()
[ -n "$(find_nginx)" ] || need+=(nginx)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
nginx_bin="$(find_nginx)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" 2>/dev/null || as_root rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=yizhan.example.cn" \
  -keyout "$tmp/privkey.pem" -out "$tmp/fullchain.pem" 2>/dev/null

sed -e "s|/etc/ssl/yizhan/fullchain.pem|$tmp/fullchain.pem|g" \
    -e "s|/etc/ssl/yizhan/privkey.pem|$tmp/privkey.pem|g" \
    "$site" >"$tmp/yizhan.conf"
if grep -q '/etc/ssl/yizhan/' "$tmp/yizhan.conf" || ! grep -q "$tmp/privkey.pem" "$tmp/yizhan.conf"; then
  echo "check-nginx: the certificate paths in $site are not the expected ones" >&2
  exit 1
fi

cat >"$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log $tmp/access.log;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/yizhan.conf;
}
CONF

echo "== nginx -t with $site"
# nginx -t binds the listen addresses (ports 80 and 443): it runs as root.
if ! out="$(as_root "$nginx_bin" -t -q -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/error.log" 2>&1)"; then
  printf '%s\n' "$out" >&2
  echo "check-nginx: nginx refused the configuration" >&2
  exit 1
fi
if [ -n "$out" ]; then
  printf '%s\n' "$out" >&2
  echo "check-nginx: nginx warned about the configuration" >&2
  exit 1
fi
"$nginx_bin" -v 2>&1
echo "check-nginx: ok"
