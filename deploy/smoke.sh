#!/usr/bin/env bash
# Starts the deployment sample on loopback and checks it: PostgreSQL (throwaway), two gunicorn app servers with
# deploy/gunicorn.conf.py, a task worker (manage.py run_worker), and nginx with deploy/nginx/kartlegg.conf in front.
# Passes when /healthz?worker=1 answers 200 through nginx, static files and security headers come through, an
# oversized body gets nginx's 413, and the site keeps answering after one app server is killed.
# Everything it starts is stopped again by process id; every wait is bounded. Needs nginx (apt-get install nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
command -v nginx >/dev/null || { echo "smoke: nginx is missing (apt-get install nginx-light)" >&2; exit 2; }

work=$(mktemp -d /tmp/kartlegg-smoke.XXXXXX)
pids=()
pgdir=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$pgdir" ] && scripts/throwaway-pg.sh stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "smoke: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
wait_for() {  # url, expected status, seconds
  local i code
  for ((i = 0; i < $3 * 5; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true)
    [ "$code" = "$2" ] && return 0
    sleep 0.2
  done
  fail "$1 answered $code, not $2, within $3 s"
}

echo "smoke: PostgreSQL"
eval "$(scripts/throwaway-pg.sh start)"
pgdir=$PGDIR
export DATABASE_URL DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost SECURE_COOKIES=0 KARTLEGG_DEMO_MODE=1 LOG_LEVEL=WARNING
export SECRET_KEY="smoke-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export KARTLEGG_WORKER_HEARTBEAT_SECONDS=1 WEB_CONCURRENCY=2 GUNICORN_LOG_LEVEL=warning
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0

echo "smoke: two app servers and a worker"
app1=$(free_port); app2=$(free_port); web=$(free_port)
for port in "$app1" "$app2"; do
  KARTLEGG_BIND=127.0.0.1:$port "$ROOT/.venv/bin/gunicorn" -c deploy/gunicorn.conf.py kartlegg.wsgi \
    >"$work/gunicorn-$port.log" 2>&1 &
  pids+=($!)
done
gunicorn_first=${pids[0]}
"$PY" manage.py run_worker --queue-name '*' --interval 1 >"$work/worker.log" 2>&1 &
pids+=($!)

echo "smoke: nginx on 127.0.0.1:$web"
# The site file as shipped, with only the lines marked "smoke:" rewritten for loopback.
sed -e "s#server 127.0.0.1:8001 #server 127.0.0.1:$app1 #" -e "s#server 127.0.0.1:8002 #server 127.0.0.1:$app2 #" \
    -e "s#listen 443 ssl;#listen 127.0.0.1:$web;#" -e '/http2 on;/d' -e '/ssl_/d' \
    -e "s#alias /srv/kartlegg/app/staticfiles/;#alias $ROOT/staticfiles/;#" \
    -e "s#listen 80;#listen 127.0.0.1:$(free_port);#" deploy/nginx/kartlegg.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $work/nginx-access.log;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  include $work/site.conf;
}
CONF
nginx -t -q -c "$work/nginx.conf" -p "$work" 2>"$work/nginx-test.log" || fail "nginx -t"
nginx -c "$work/nginx.conf" -p "$work" >"$work/nginx.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:$web

wait_for "http://127.0.0.1:$app1/healthz" 200 60
wait_for "http://127.0.0.1:$app2/healthz" 200 60
wait_for "$base/healthz" 200 30
echo "smoke: health check with the worker's heartbeat"
wait_for "$base/healthz?worker=1" 200 30
curl -s "$base/healthz?worker=1" | grep -q '"worker": {"ok": true' || fail "the worker is not reported alive"

echo "smoke: security headers and static files through nginx"
headers=$(curl -s -D - -o /dev/null "$base/")
for name in Content-Security-Policy Referrer-Policy Permissions-Policy X-Content-Type-Options X-Frame-Options; do
  grep -qi "^$name:" <<<"$headers" || fail "header $name missing on /"
done
grep -qi "unsafe-inline" <<<"$headers" && fail "the policy allows unsafe-inline"
css=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$base/static/css/kartlegg.css")
[[ $css == "200 text/css"* ]] || fail "static file: $css"

echo "smoke: an oversized body is refused with 413 after it is read"
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/big.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  --data-binary @"$work/big.json" "$base/api/v1/rounds/1/units/0301/response")
[ "$code" = 413 ] || fail "10 MB PUT answered $code, not 413"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  --data-binary '{"values": {}, "version": 0}' "$base/api/v1/rounds/1/units/0301/response")
[ "$code" = 401 ] || fail "PUT without a token answered $code, not 401"

echo "smoke: one app server killed, the site still answers"
kill -9 "$gunicorn_first"
for i in 1 2 3 4 5 6; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base/healthz")
  [ "$code" = 200 ] || fail "request $i after the kill answered $code"
done

echo "smoke: passed (app servers :$app1 :$app2, nginx :$web)"
