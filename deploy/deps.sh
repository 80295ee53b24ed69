# Sourced by deploy/run.sh and tests/run.sh: installs the Debian packages the
# project needs when some are missing (as root), or says which to install.
#   ensure_packages build|run|test|container
# container: what tests/container.sh needs to build and run the images
# (rootful podman with runc, a Debian base by debootstrap, compose config).
ensure_packages() {
  local want=(gcc meson ninja-build pkg-config libmicrohttpd-dev libcurl4-openssl-dev
              libjansson-dev libuv1-dev libpq-dev libutf8proc-dev libssl-dev postgresql postgresql-client curl tzdata)
  case "${1:-run}" in
    # prometheus for promtool (tests/http_metrics.sh checks /metrics with it;
    # about 10 s to install, 96 MB; on a systemd machine the package also
    # enables its own prometheus service, which the tests do not need)
    # chromium for the web page's browser test (tests/http_ui.sh)
    test) want+=(jq wrk valgrind bc procps prometheus chromium) ;;
    container) want+=(jq podman runc netavark aardvark-dns iptables debootstrap python3-yaml docker-compose openssl) ;;
  esac
  local missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
