# Sourced by the benchmarks with their arguments: the first names the build
# folder (default build/). Sets root and build, exports what tests/lib.sh
# needs, sources it, and raises the open-files limit for many connections.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
export CULTURECARE=$build/culturecare FAKE_LLM=$build/tests/fake_llm SOURCE_ROOT=$root
. "$root/tests/lib.sh"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
need_wrk() { command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }; }
