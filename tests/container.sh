#!/usr/bin/env bash
# The container deployment for real, with podman: builds the image of
# deploy/Dockerfile on a Debian 12 base made here with debootstrap (no
# registry is needed), a PostgreSQL 15 and an nginx image from the same base
# (tests/container/), and runs them as deploy/compose.yaml does: one bridge
# network with the compose service names (postgres, culturecare), a one-shot
# migrate + import, the service (read-only root, no capabilities), nginx
# with deploy/nginx/ in front as the only published service: the TLS edge
# (tls.conf) with a certificate signed by a CA made here, HTTPS with HTTP/2,
# port 80 redirecting, old protocols refused; and the plain edge (plain.conf)
# for a TLS-terminating load balancer. The fake model
# backend (tests/fake_llm) runs on this machine inside the service
# container's network namespace (nsenter), so the service reaches it at
# 127.0.0.1 and nothing else changes. Also checks the compose file and the
# Kubernetes manifests (tests/container/check_manifests.py).
#
# Needs root, podman, runc, debootstrap, openssl, python3-yaml (deploy/deps.sh:
# container); exits 77 with one SKIP line without them. Everything podman
# makes lives in a temporary folder removed at exit; the debootstrapped base
# is cached as a tarball in ${XDG_CACHE_HOME:-~/.cache}/culturecare-container.
# Environment: FAKE_LLM (the fake backend binary; default: a build folder's),
# DEBIAN_MIRROR (default: this machine's apt mirror).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. tests/checks.sh

started=$(date +%s)
say() { echo "# $*"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

[ "$(id -u)" = 0 ] || skip "container test: needs root (rootful podman)"
for tool in podman runc debootstrap nsenter python3 curl jq openssl; do
  command -v "$tool" >/dev/null || skip "container test: $tool not installed (deploy/deps.sh: container)"
done
python3 -c 'import yaml' 2>/dev/null || skip "container test: python3-yaml not installed"
FAKE_LLM=${FAKE_LLM:-}
if [ -z "$FAKE_LLM" ]; then
  for b in build-test build; do
    [ -x "$b/tests/fake_llm" ] && { FAKE_LLM=$root/$b/tests/fake_llm; break; }
  done
fi
[ -x "$FAKE_LLM" ] || skip "container test: tests/fake_llm not built (set FAKE_LLM or build first)"

T=$(mktemp -d "${TMPDIR:-/tmp}/cccontainer.XXXXXX")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/culturecare-container
mkdir -p "$cache"

# A private podman: its own storage, state and networks in $T. crun cannot
# run on this kind of hybrid cgroup v1 host, runc can; the cgroupfs manager
# needs no systemd; no default ulimits (raising them fails in some VMs).
mkdir -p "$T/networks" "$T/tmp"
cat >"$T/containers.conf" <<EOF
[containers]
default_ulimits = []
[network]
network_config_dir = "$T/networks"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$T/tmp"
EOF
export CONTAINERS_CONF=$T/containers.conf
P=(podman --root "$T/storage" --runroot "$T/run" --cgroup-manager=cgroupfs)
FAKE_PID=
cleanup() {
  [ -n "$FAKE_PID" ] && kill -TERM "$FAKE_PID" 2>/dev/null
  "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1
  "${P[@]}" network rm -f cc >/dev/null 2>&1
  "${P[@]}" rmi -a -f >/dev/null 2>&1
  "${P[@]}" system reset -f >/dev/null 2>&1
  umount "$T/storage/overlay" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
"${P[@]}" info >"$T/info.log" 2>&1 || skip "container test: podman cannot run here ($(tail -n 1 "$T/info.log"))"

# --- the Debian 12 base, as debian:bookworm-slim (the Dockerfiles' default) ---
mirror=${DEBIAN_MIRROR:-$(sed -n -E 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^[:space:]]*/debian)/?([[:space:]].*)?$#\3#p' \
  /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
base_tar=$cache/bookworm-minbase.tar
t=$(date +%s%N)
if [ ! -s "$base_tar" ]; then
  say "debootstrap bookworm from $mirror (cached afterwards in $cache)"
  if ! debootstrap --variant=minbase bookworm "$T/rootfs" "$mirror" >"$T/debootstrap.log" 2>&1; then
    tail -n 5 "$T/debootstrap.log"
    skip "container test: debootstrap failed (no Debian mirror?)"
  fi
  # Trimmed like the slim images: no documentation, manuals or translations,
  # now or in what apt installs later.
  cat >"$T/rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  find "$T/rootfs/usr/share/doc" -type f -not -name copyright -delete
  rm -rf "$T"/rootfs/usr/share/{man,info,locale}/* "$T"/rootfs/var/cache/apt/archives/*.deb \
    "$T"/rootfs/var/cache/apt/*.bin "$T"/rootfs/var/lib/apt/lists/*
  tar -C "$T/rootfs" -c . >"$base_tar.part" && mv "$base_tar.part" "$base_tar"
  rm -rf "$T/rootfs"
fi
ok "base image debian:bookworm-slim imported (debootstrap minbase)" \
  "${P[@]}" import -q "$base_tar" debian:bookworm-slim >/dev/null
say "base ready in $(ms_since "$t") ms"

# --- the three images (docker format: an OCI image has no HEALTHCHECK; no
# intermediate layers: this store is thrown away) ---
build() { # NAME DOCKERFILE
  "${P[@]}" build --pull=never --format docker --layers=false --jobs 2 -f "$2" -t "localhost/cctest-$1" . \
    >"$T/build-$1.log" 2>&1
}
built() { # NAME: the verdict on a build, with its log when it failed
  if [ -s "$T/build-$1.rc" ] && [ "$(cat "$T/build-$1.rc")" = 0 ]; then
    ok "image $1 builds" true
  else
    ok "image $1 builds" false
    tail -n 20 "$T/build-$1.log"
  fi
}
t=$(date +%s%N)
# The service's image beside the two others one after the other: three apt
# runs at once are slower than two.
{ build culturecare deploy/Dockerfile; echo $? >"$T/build-culturecare.rc"; } &
for name in postgres nginx; do
  build $name tests/container/$name.Dockerfile
  echo $? >"$T/build-$name.rc"
done
wait
for name in culturecare postgres nginx; do built $name; done
say "images built in $(ms_since "$t") ms"
[ "$FAILED" -eq 0 ] || { finish; exit 1; }
IMG=localhost/cctest-culturecare

size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMG")
base_size=$("${P[@]}" image inspect --format '{{.Size}}' debian:bookworm-slim)
say "image size: $((size / 1000000)) MB ($(((size - base_size) / 1000000)) MB over the base image)"
ok "image smaller than 150 MB" test "$size" -lt 150000000
eq "image user is not root" "$("${P[@]}" image inspect --format '{{.Config.User}}' "$IMG")" "10001:10001"
contains "image has a HEALTHCHECK on /healthz" "$("${P[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$IMG")" "/healthz"
eq "entrypoint and command" "$("${P[@]}" image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMG")" \
  '["culturecare"] ["serve"]'

# --- the stack ---
run() { "${P[@]}" run --health-interval=disable "$@" 2>>"$T/podman.log"; }
"${P[@]}" network create cc >/dev/null || { ok "podman bridge network" false; finish; exit 1; }
run -d --name cc-postgres --network cc --network-alias postgres \
  -e POSTGRES_USER=culturecare -e POSTGRES_PASSWORD=secret -e POSTGRES_DB=culturecare \
  localhost/cctest-postgres -c fsync=off -c synchronous_commit=off >/dev/null
pg_ok=false
for _ in $(seq 1 120); do
  "${P[@]}" healthcheck run cc-postgres >/dev/null 2>&1 && { pg_ok=true; break; }
  sleep 0.25
done
ok "postgres healthy (pg_isready)" $pg_ok

app_env=(-e "DATABASE_URL=host=postgres port=5432 dbname=culturecare user=culturecare" -e PGPASSWORD=secret)
hardened=(--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges)
# The one-shot command of compose.yaml's migrate service ($$ is compose's $).
migrate_import=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["services"]["migrate"]["command"][-1])' \
  deploy/compose.yaml | sed 's/\$\$/$/g')
app_env+=(-e CORPUS_DIR=/usr/share/culturecare/sample-corpus)
out=$("${P[@]}" run --rm --network cc "${hardened[@]}" "${app_env[@]}" --entrypoint /bin/sh "$IMG" -c "$migrate_import" 2>&1)
ok "one-shot migrate + import of the image's sample corpus (compose's command: $migrate_import)" test $? -eq 0
contains "migrations applied" "$out" "schema at version"
out=$("${P[@]}" run --rm --network cc "${hardened[@]}" "${app_env[@]}" --entrypoint /bin/sh "$IMG" -c "$migrate_import" 2>&1)
contains "import again: records unchanged" "$out" " unchanged)"
ok "import again: nothing new or replaced" bash -c '! grep -Eq "[1-9][0-9]* (new|replaced)"' <<<"$out"

# An API key, made as an operator would: a one-shot `culturecare keys create`.
KEY=$("${P[@]}" run --rm --network cc "${hardened[@]}" "${app_env[@]}" "$IMG" keys create --scope support --name container-test 2>>"$T/podman.log")
ok "a one-shot keys create prints a key" grep -Eq '^cc_[A-Za-z0-9_-]{43}$' <<<"$KEY"
AUTHZ="Authorization: Bearer $KEY"

# The service as compose runs it (AUTH on, the default); the backend is the
# fake, started below in this container's network.
t=$(date +%s%N)
run -d --name culturecare --network cc "${hardened[@]}" "${app_env[@]}" \
  -e LLM_BASE_URL=http://127.0.0.1:18000/v1 -e LLM_MODEL=fake-model -e SHUTDOWN_DRAIN_MS=5000 \
  "$IMG" >/dev/null
app_ip=$("${P[@]}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' culturecare)
ready=false
for _ in $(seq 1 300); do
  [ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://$app_ip:8080/readyz")" = 200 ] && { ready=true; break; }
  sleep 0.02
done
startup_ms=$(ms_since "$t")
ok "service ready (GET /readyz 200)" $ready
say "start-up: ${startup_ms} ms from podman run to the first 200 from /readyz"
ok "start-up under 10 s" test "$startup_ms" -lt 10000

app_pid=$("${P[@]}" inspect --format '{{.State.Pid}}' culturecare)
eq "service process runs as uid 10001" "$(awk '/^Uid:/ {print $2}' "/proc/$app_pid/status")" 10001
eq "id -u in the container" "$("${P[@]}" exec culturecare id -u 2>>"$T/podman.log")" 10001
ok "HEALTHCHECK passes (podman healthcheck run)" "${P[@]}" healthcheck run culturecare

nsenter -t "$app_pid" -n "$FAKE_LLM" --port 18000 >"$T/fake.out" 2>"$T/fake.err" &
FAKE_PID=$!
fake() { # PATH [curl args]: a request to the fake, from inside the service's network
  local path=$1
  shift
  nsenter -t "$app_pid" -n curl -s -m 5 "$@" "http://127.0.0.1:18000$path"
}
for _ in $(seq 1 100); do grep -qs port "$T/fake.out" && break; sleep 0.05; done
ok "fake backend listening in the service's network" grep -q '"port": 18000' "$T/fake.out"

# --- the TLS edge ---
# A CA made here, and a server certificate for $TLS_NAME signed by it, in
# the files tls.conf names (fullchain.pem, privkey.pem, chain.pem).
TLS_NAME=culturecare.test
mkdir -p "$T/ca" "$T/certs"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
printf 'subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
  "$TLS_NAME" >"$T/ca/server.ext"
certs_ok=true
bash -c '
  openssl req -x509 "${@:3}" -days 2 -subj "/CN=CultureCare test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$1/ca.key" -out "$1/ca.pem" &&
  openssl req -new "${@:3}" -subj "/CN='"$TLS_NAME"'" -keyout "$2/privkey.pem" -out "$1/server.csr" &&
  openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
    -extfile "$1/server.ext" -out "$2/fullchain.pem" &&
  cp "$1/ca.pem" "$2/chain.pem" &&
  openssl verify -CAfile "$1/ca.pem" "$2/fullchain.pem"' _ "$T/ca" "$T/certs" "${ec[@]}" >"$T/openssl.log" 2>&1 \
  || { certs_ok=false; cat "$T/openssl.log"; }
ok "a test CA and a server certificate for $TLS_NAME signed by it (openssl)" $certs_ok
# The self-signed set for local use, as README's compose steps make it.
ok "deploy/nginx/selfsigned.sh makes fullchain.pem, privkey.pem, chain.pem for localhost" bash -c '
  TLS_DIR=$1 deploy/nginx/selfsigned.sh >/dev/null && [ -s "$1/privkey.pem" ] && [ -s "$1/chain.pem" ] &&
  openssl x509 -in "$1/fullchain.pem" -noout -checkhost localhost | grep -q "does match"' _ "$T/selfsigned"

# nginx's mounts as compose.yaml has them (./ is deploy/), for an edge
# (NGINX_EDGE) and a certificate folder (TLS_DIR).
nginx_mounts() { # EDGE TLS_DIR
  NGINX_EDGE=$1 TLS_DIR=$2 python3 - deploy/compose.yaml <<'PY'
import os, re, sys, yaml
base = os.path.dirname(os.path.abspath(sys.argv[1]))
for v in yaml.safe_load(open(sys.argv[1]))["services"]["nginx"]["volumes"]:
    v = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1)) or m.group(2), v)
    src, rest = v.split(":", 1)
    print("-v")
    print(os.path.normpath(os.path.join(base, src)) + ":" + rest)
PY
}
mapfile -t mounts < <(nginx_mounts tls "$T/certs")
run -d --name cc-nginx --network cc -p 127.0.0.1::80 -p 127.0.0.1::443 "${mounts[@]}" localhost/cctest-nginx >/dev/null
https_port=$("${P[@]}" port cc-nginx 443 | head -n 1 | sed 's/.*://')
http_port=$("${P[@]}" port cc-nginx 80 | head -n 1 | sed 's/.*://')
# Every request through nginx goes to https://$TLS_NAME, trusting the test CA.
N="https://$TLS_NAME:$https_port"
TLS=(--cacert "$T/ca/ca.pem" --resolve "$TLS_NAME:$https_port:127.0.0.1")
up=false
for _ in $(seq 1 100); do
  [ "$(curl -s -m 1 "${TLS[@]}" -o /dev/null -w '%{http_code}' "$N/healthz")" = 200 ] && { up=true; break; }
  sleep 0.05
done
ok "nginx up with TLS on its published port ($N)" $up
ok "nginx -t accepts deploy/nginx (tls.conf)" "${P[@]}" exec cc-nginx nginx -t -q 2>"$T/nginx-t.log"
grep -q 'ssl_stapling.*no OCSP responder' "$T/nginx-t.log" &&
  say "OCSP stapling: on, skipped by nginx for the test certificate (it names no OCSP responder)"
eq "HTTPS with HTTP/2 (%{http_version})" \
  "$(curl -s -m 5 "${TLS[@]}" -o /dev/null -w '%{http_code} %{http_version}' "$N/healthz")" "200 2"
curl -s -m 5 "${TLS[@]}" -o /dev/null -D "$T/tls-headers" "$N/healthz"
contains "HSTS on HTTPS replies" "$(tr -d '\r' <"$T/tls-headers")" "strict-transport-security: max-age="
curl -s -m 5 --resolve "$TLS_NAME:$https_port:127.0.0.1" -o /dev/null "$N/healthz"
eq "without the test CA curl refuses the certificate (exit 60)" "$?" 60
eq "TLS 1.2 accepted" "$(curl -s -m 5 "${TLS[@]}" --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$N/healthz")" 200
proto=$(openssl s_client -connect "127.0.0.1:$https_port" -servername "$TLS_NAME" -CAfile "$T/ca/ca.pem" \
  -verify_return_error -brief </dev/null 2>&1 | sed -n 's/^Protocol version: //p')
eq "TLS 1.3 by default (openssl s_client)" "$proto" "TLSv1.3"
# TLS 1.0 and 1.1: the client is made willing (OpenSSL 3 refuses them itself
# at its default security level), so that the refusal is the server's.
out=$(curl -sS -m 5 "${TLS[@]}" --tlsv1.0 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' -o /dev/null "$N/healthz" 2>&1)
rc=$?
ok "TLS 1.0/1.1 refused: curl --tls-max 1.1 fails (exit $rc: ${out#curl: })" test "$rc" -ne 0
out=$(openssl s_client -connect "127.0.0.1:$https_port" -servername "$TLS_NAME" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1)
contains "the server answers TLS 1.1 with a protocol_version alert (openssl s_client -tls1_1)" "$out" "alert protocol version"
eq "plain HTTP redirected to https (308)" \
  "$(curl -s -m 5 -o /dev/null -D "$T/redirect" -w '%{http_code}' "http://127.0.0.1:$http_port/cultures?x=1")" 308
eq "to the same path on https" "$(tr -d '\r' <"$T/redirect" | sed -n 's/^[Ll]ocation: //p')" "https://127.0.0.1/cultures?x=1"
eq "a POST too, method kept (308)" \
  "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -d '{}' "http://127.0.0.1:$http_port/support")" 308
eq "ACME challenges answered on port 80 from the webroot (404: none here)" \
  "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/.well-known/acme-challenge/x")" 404

# --- through nginx ---
H=$T/headers
code() { curl -s -m 10 "${TLS[@]}" -o "$T/body" -D "$H" -w '%{http_code}' "$@"; }
eq "GET /readyz through nginx" "$(code "$N/readyz")" 200
contains "ready with the schema" "$(cat "$T/body")" '"status":"ready"'
eq "no key through nginx: 401" "$(code "$N/cultures")" 401
code -H "$AUTHZ" "$N/cultures" >/dev/null
rid=$(tr -d '\r' <"$H" | sed -n 's/^[Xx]-[Rr]equest-[Ii]d: //p')
ok "nginx makes an X-Request-Id when the client sends none ($rid)" grep -Eq '^[0-9a-f]{32}$' <<<"$rid"
code -H "$AUTHZ" -H 'X-Request-Id: cc-container-check-1' "$N/cultures" >/dev/null
# (HTTP/2 header names are lower case.)
contains "the client's X-Request-Id reaches the service and comes back" "$(tr -d '\r' <"$H" | tr '[:upper:]' '[:lower:]')" \
  "x-request-id: cc-container-check-1"
sleep 0.2
contains "the service logs the request id nginx passed" "$("${P[@]}" logs culturecare 2>/dev/null)" '"request_id":"cc-container-check-1"'
eq "/metrics is closed to the public" "$(code "$N/metrics")" 403
qmark="QUERY-PRIVATE-$RANDOM$RANDOM"
eq "a signal search through nginx" "$(code -H "$AUTHZ" "$N/cultures/german/signals?q=$qmark")" 200
sleep 0.2
eq "nginx's access log has the path, never the query text" "$("${P[@]}" logs cc-nginx 2>&1 | grep -c "$qmark")" 0
contains "but it logs the path" "$("${P[@]}" logs cc-nginx 2>&1)" "GET /cultures/german/signals HTTP/2.0"
head -c 70000 /dev/zero | tr '\0' a >"$T/big"
eq "a body over 64k is refused by nginx" "$(code -H "$AUTHZ" -H 'Content-Type: application/json' --data-binary @"$T/big" "$N/support")" 413

fake /_control -X POST -H 'Content-Type: application/json' \
  --data-binary '{"pieces":["You. ","are. ","not. ","alone."],"piece_interval_ms":250}' >/dev/null
msg='{"culture":"german","message":"Since I moved to Berlin I feel so alone.","strategy":"culture"'
eq "POST /support through nginx" "$(code -H "$AUTHZ" -H 'Content-Type: application/json' --data-binary "$msg}" "$N/support")" 200
eq "the reply over HTTPS with HTTP/2" "$(head -n 1 "$H" | tr -d '\r' | sed 's/ *$//')" "HTTP/2 200"
eq "the reply is the backend's" "$(jq -r .response "$T/body")" "You. are. not. alone."
eq "the backend got the model" "$(fake /_requests | jq -r '.[-1].model')" fake-model

# A stream: the four pieces (each a sentence, which the output check releases
# at once) come 250 ms apart; unbuffered, the first delta
# arrives well before the last.
curl -sN -m 20 "${TLS[@]}" -D "$T/stream-headers" -H "$AUTHZ" -H 'Content-Type: application/json' \
  --data-binary "$msg,\"stream\":true}" "$N/support" |
  while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$T/stream"
deltas=$(grep -c ' event: delta' "$T/stream")
ok "stream through nginx: $deltas delta events" test "$deltas" -ge 2
first=$(grep -m1 ' event: delta' "$T/stream" | cut -d' ' -f1)
last=$(grep ' event: delta' "$T/stream" | tail -n 1 | cut -d' ' -f1)
gap=$(awk -v a="${first:-0}" -v b="${last:-0}" 'BEGIN { printf "%d", (b - a) * 1000 }')
ok "the first delta arrives before the last (${gap} ms apart)" test "$gap" -ge 400
contains "the stream ends with done" "$(cat "$T/stream")" "event: done"
eq "the stream over HTTPS with HTTP/2" "$(head -n 1 "$T/stream-headers" | tr -d '\r' | sed 's/ *$//')" "HTTP/2 200"

# The plain edge (NGINX_EDGE=plain), for a TLS-terminating load balancer:
# plain HTTP on port 80, the balancer's X-Forwarded-Proto honoured.
mapfile -t mounts < <(nginx_mounts plain "$T/certs")
run -d --name cc-nginx-plain --network cc -p 127.0.0.1::80 "${mounts[@]}" localhost/cctest-nginx >/dev/null
plain="http://$("${P[@]}" port cc-nginx-plain 80 | head -n 1)"
up=false
for _ in $(seq 1 100); do
  [ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$plain/readyz")" = 200 ] && { up=true; break; }
  sleep 0.05
done
ok "plain edge: GET /readyz over HTTP ($plain)" $up
ok "nginx -t accepts deploy/nginx (plain.conf)" "${P[@]}" exec cc-nginx-plain nginx -t -q 2>>"$T/nginx-t.log"
eq "plain edge: a key works as over TLS" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "$AUTHZ" -H 'X-Forwarded-Proto: https' "$plain/cultures")" 200
eq "plain edge: a request the balancer got over http is redirected" \
  "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: http' "$plain/cultures")" 308
"${P[@]}" rm -f -t 0 cc-nginx-plain >/dev/null 2>&1

# A stop drains and exits 0 (SIGTERM within the grace period).
"${P[@]}" stop -t 15 culturecare >/dev/null 2>>"$T/podman.log"
eq "podman stop: the service exits 0" "$("${P[@]}" inspect --format '{{.State.ExitCode}}' culturecare)" 0

# --- the compose file and the Kubernetes manifests ---
printf 'POSTGRES_PASSWORD=secret\n' >"$T/env"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  compose=()
fi
if [ ${#compose[@]} -gt 0 ]; then
  say "compose file checked with: ${compose[*]} config"
  ok "${compose[*]} config accepts deploy/compose.yaml" \
    "${compose[@]}" -f deploy/compose.yaml --env-file "$T/env" --profile ollama config -q
  "${compose[@]}" -f deploy/compose.yaml --env-file "$T/env" --profile ollama config >"$T/compose.yaml" 2>/dev/null
else
  say "no docker compose: compose file checked by the structure check only"
  cp deploy/compose.yaml "$T/compose.yaml"
fi
ok "compose structure and Kubernetes manifests" python3 tests/container/check_manifests.py "$T/compose.yaml" deploy/k8s

say "total $(($(date +%s) - started)) s"
finish
