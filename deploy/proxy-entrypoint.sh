#!/bin/sh
# Starts nginx in front of the API replicas: fills in deploy/nginx.conf.template (only LISTEN and the
# upstream list; nginx's own $variables stay) and runs nginx in the foreground. Used by the proxy service of
# deploy/compose.yaml and by tests/deploy/test_two_replicas.py.
#   UPSTREAMS     space-separated host:port of the replicas (required), e.g. "api-a:8000 api-b:8000"
#   LISTEN        address nginx listens on (default 80)
#   PROXY_PREFIX  nginx's working directory: config, pid, temp files (default /var/lib/voiceshop-proxy)
#   TEMPLATE      the config template (default: nginx.conf.template beside this script)
set -eu
: "${UPSTREAMS:?set UPSTREAMS, e.g. 'api-a:8000 api-b:8000'}"
: "${LISTEN:=80}"
: "${PROXY_PREFIX:=/var/lib/voiceshop-proxy}"
: "${TEMPLATE:=$(dirname "$0")/nginx.conf.template}"
UPSTREAM_SERVERS=""
for upstream in $UPSTREAMS; do
    UPSTREAM_SERVERS="$UPSTREAM_SERVERS server $upstream max_fails=3 fail_timeout=10s;"
done
export LISTEN UPSTREAM_SERVERS
mkdir -p "$PROXY_PREFIX/temp"
envsubst '${LISTEN} ${UPSTREAM_SERVERS}' < "$TEMPLATE" > "$PROXY_PREFIX/nginx.conf"
nginx=$(command -v nginx || echo /usr/sbin/nginx)  # Debian installs it in /usr/sbin, not on every PATH
exec "$nginx" -p "$PROXY_PREFIX" -c "$PROXY_PREFIX/nginx.conf" -e stderr -g 'daemon off;'
