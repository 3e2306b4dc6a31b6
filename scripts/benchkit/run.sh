#!/usr/bin/env bash
# The real-GPU benchmark kit's entry point (built by `npm run bench:kit`; docs/benchmarks.md). Needs no Node, no
# network and no root: unpacks the carried Node and Dawn, finds a Vulkan loader and the GPU's ICD, generates the
# benchmark models in parallel, checks tiny models' logits against the CPU reference, benchmarks, and writes
# results.json, results.md and log.txt to --out (default $OUT, else ./benchkit-out).
#
#   bash run.sh [--out DIR] [--icd FILE.json] [--loader auto|kit|system] [runner options]
#   bash run.sh generate [--models LIST] [--work DIR] [--jobs N]     (only make the model files)
# runner options (defaults): --models e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m  --prompt 512,64  --decode 32
#   --ctx 4096  --copy 512  --check tiny-q4_0,tiny-q4_k_m  --work /tmp/benchkit-models  --jobs (cores - 2)
#   --no-profile  --power high-performance|low-power  --dawn-flag F (repeatable; replaces the default toggles)
#   --allow-cpu (measure full-size models even on a CPU adapter such as SwiftShader)
set -euo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${OUT:-$PWD/benchkit-out}"
ICD=""
LOADER=auto
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUTDIR="$2"; shift 2 ;;
    --icd) ICD="$2"; shift 2 ;;
    --loader) LOADER="$2"; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/log.txt") 2>&1

# Node and Dawn, unpacked once per kit build.
BIN="${BENCHKIT_BIN:-${TMPDIR:-/tmp}/benchkit-bin}"
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  elif command -v python3 >/dev/null 2>&1; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
  else echo "run.sh: neither xz nor python3 is here to unpack $1" >&2; exit 1
  fi
}
if ! cmp -s "$KIT/manifest.json" "$BIN/manifest.json" 2>/dev/null; then
  mkdir -p "$BIN"
  unxz_to "$KIT/node.xz" "$BIN/node"
  unxz_to "$KIT/dawn.node.xz" "$BIN/dawn.node"
  chmod +x "$BIN/node"
  cp "$KIT/manifest.json" "$BIN/manifest.json"
fi

# Vulkan loader: the system's when it has one (auto), else the carried Debian libvulkan1.
has_system_lib() {
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu; do [ -e "$d/$1" ] && return 0; done
  return 1
}
if [ "$LOADER" = kit ] || { [ "$LOADER" = auto ] && ! has_system_lib libvulkan.so.1; }; then
  export LD_LIBRARY_PATH="$KIT/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "vulkan loader: carried ($KIT/vulkan/libvulkan.so.1)"
else
  echo "vulkan loader: system"
fi
# NVIDIA's Vulkan driver library links glvnd's libGLdispatch: the carried one when the system has none.
if [ -d "$KIT/glvnd" ] && ! has_system_lib libGLdispatch.so.0; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$KIT/glvnd"
  echo "glvnd: carried"
fi
# NVIDIA containers keep the driver's libraries (which the ICD json names) here.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done

# The driver: --icd, else VK_DRIVER_FILES / VK_ICD_FILENAMES as given, else an NVIDIA ICD where one usually is,
# else the loader's own search of /usr/share/vulkan/icd.d and /etc/vulkan/icd.d.
if [ -z "$ICD" ] && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
           /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -e "$f" ]; then ICD="$f"; break; fi
  done
fi
if [ -n "$ICD" ]; then
  export VK_DRIVER_FILES="$ICD" VK_ICD_FILENAMES="$ICD"
fi
echo "vulkan driver: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-loader default search}}"
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv || true; fi

set +e
if [ "${ARGS[0]:-}" = generate ]; then
  "$BIN/node" "$KIT/runner.mjs" ${ARGS[@]+"${ARGS[@]}"}
else
  "$BIN/node" "$KIT/runner.mjs" bench --out "$OUTDIR" --dawn "$BIN/dawn.node" ${ARGS[@]+"${ARGS[@]}"}
fi
rc=$?
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=memory.used --format=csv || true; fi
exit $rc
