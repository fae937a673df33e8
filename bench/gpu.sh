#!/usr/bin/env bash
# Runs the WebGPU benchmarks and a short HRM training through Dawn on this machine's GPU, and
# prints the adapter it ran on. Meant for a Linux machine with an NVIDIA GPU; elsewhere it runs on
# whatever adapter Dawn finds (Mesa's lavapipe on a machine without a GPU) and says so, unless
# --require-nvidia is given, when it exits with status 2.
#
#   bench/gpu.sh [--quick] [--require-nvidia] [--debs DIR]
#
# --quick            one size and fewer steps per benchmark (a smoke run of a few minutes)
# --require-nvidia   fail unless `nvidia-smi` sees a GPU and Dawn's adapter is NVIDIA's
# --debs DIR         .deb files of the Vulkan loader (libvulkan1) to unpack when the system has
#                    none, for machines without network access: fetch them elsewhere with
#                    `apt-get download libvulkan1` (same architecture) and copy them over.
#
# Needs Node 20+ and the repository's node_modules (npm ci). Writes bench/out/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
require_nvidia=0
debs=''
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --require-nvidia) require_nvidia=1 ;;
    --debs) debs="${2:?--debs needs a directory}"; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
  shift
done

fail() { echo "gpu.sh: $1" >&2; exit "${2:-1}"; }
# Whether the dynamic linker knows libvulkan.so.1 (grep reads all of ldconfig's output: with
# pipefail, `grep -q` stopping early would fail the pipeline through SIGPIPE).
has_vulkan_loader() { ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1' >/dev/null; }

command -v node >/dev/null || fail 'node is not on PATH (Node 20 or later is needed)'
[ -d node_modules/webgpu ] || fail 'node_modules/webgpu is missing: run npm ci first'

# --- The GPU and its Vulkan driver -------------------------------------------------------------
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu.sh: $(nvidia-smi -L | sed -n 1p)"
  # Containers often carry the NVIDIA ICD outside the loader's default search path.
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
  done
elif [ "$require_nvidia" = 1 ]; then
  fail 'no NVIDIA GPU found (nvidia-smi sees none)' 2
else
  echo 'gpu.sh: no NVIDIA GPU found; running on the adapter Dawn picks (lavapipe on a CPU-only machine)'
fi

# Dawn's Vulkan backend loads libvulkan.so.1: bring the loader when the system has none.
if ! has_vulkan_loader; then
  [ -n "$debs" ] || fail 'no Vulkan loader (libvulkan.so.1): install libvulkan1, or pass --debs DIR with its .deb files'
  [ "$(id -u)" = 0 ] || fail '--debs unpacks into / and needs root'
  found=0
  for f in "$debs"/*.deb; do [ -f "$f" ] && dpkg -x "$f" / && found=1; done
  [ "$found" = 1 ] || fail "no .deb files in $debs"
  ldconfig
  has_vulkan_loader || fail "the packages in $debs did not provide libvulkan.so.1"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

# --- The adapter ---------------------------------------------------------------------------------
run() { node --import tsx --import ./scripts/register-wgsl.mjs "$@"; }
adapter=$(run bench/adapter.ts) || fail 'Dawn found no usable WebGPU adapter (see the message above)'
echo "gpu.sh: adapter: $adapter"
if [ "$require_nvidia" = 1 ] && [[ "${adapter,,}" != *nvidia* ]]; then
  fail "the adapter is not NVIDIA's ($adapter): check the Vulkan ICD (VK_DRIVER_FILES)" 2
fi

# --- Benchmarks and a short training --------------------------------------------------------------
if [ "$quick" = 1 ]; then
  run bench/webgpu-step.ts --sizes s4x4 --steps 2
  HRM_BENCH_QUICK=1 run bench/webgpu-matmul.ts
else
  run bench/webgpu-step.ts
  run bench/webgpu-matmul.ts
  run bench/attention.ts
  run bench/rmsnorm.ts
fi

npm run build --silent
steps=$([ "$quick" = 1 ] && echo 20 || echo 200)
node packages/hrm/dist/cli.js demo --backend webgpu --steps "$steps" --no-progress --out "$(mktemp -d)"
echo "gpu.sh: done on $adapter"
