#!/bin/sh
# A self-signed certificate for trying the TLS edge locally (not for the
# internet: no client trusts it unless told to, as with curl --cacert):
#   deploy/nginx/selfsigned.sh [NAME ...]
# writes fullchain.pem, privkey.pem and chain.pem (tls.conf's file names)
# into TLS_DIR (default: deploy/certs, what compose mounts), valid for a year
# for localhost, 127.0.0.1, ::1 and each NAME. Existing files are kept
# unless FORCE=1. Then, e.g.:
#   curl --cacert deploy/certs/fullchain.pem https://localhost/readyz
set -eu
dir=${TLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/certs}
command -v openssl >/dev/null || { echo "selfsigned.sh: openssl is not installed" >&2; exit 1; }
if [ -e "$dir/privkey.pem" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "selfsigned.sh: $dir/privkey.pem exists; FORCE=1 to replace it" >&2
  exit 1
fi
mkdir -p "$dir"
cn=${1:-localhost}
san="DNS:localhost,IP:127.0.0.1,IP:::1"
for name in "$@"; do
  case $name in
    *[!0-9.]*) case $name in *:*) san="$san,IP:$name" ;; *) san="$san,DNS:$name" ;; esac ;;
    *) san="$san,IP:$name" ;;
  esac
done
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=$cn" -addext "subjectAltName=$san" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$dir/privkey.pem.part" -out "$dir/fullchain.pem.part" 2>/dev/null
mv "$dir/privkey.pem.part" "$dir/privkey.pem"
chmod 644 "$dir/fullchain.pem.part"
cp "$dir/fullchain.pem.part" "$dir/chain.pem.part"
chmod 644 "$dir/chain.pem.part"
mv "$dir/chain.pem.part" "$dir/chain.pem"
mv "$dir/fullchain.pem.part" "$dir/fullchain.pem"
echo "$dir/fullchain.pem: self-signed for $san, until $(openssl x509 -noout -enddate -in "$dir/fullchain.pem" | cut -d= -f2)"
