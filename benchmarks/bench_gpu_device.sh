#!/usr/bin/env bash
# Run benchmarks/bench_gpu.py on the lent NVIDIA machine (the `run` device tool), which has python3 3.12 with a
# CUDA torch but cannot reach any registry and lacks mediapipe, PyAV, platformdirs and protobuf<5.
#
#   bash benchmarks/bench_gpu_device.sh stage    # HERE, once: cp312 wheels -> a trimmed site.tar.xz + the 2 clips
#   device run: command "bash benchmarks/bench_gpu_device.sh run", carry [".gpu_carry"], timeout_s 600
#
# `run` unpacks the packages to /tmp/site, points W2LE_SHARED_DATA at the carried clips and writes
# $OUT/gpu.json + $OUT/bench_gpu.log; copy gpu.json to benchmarks/results/gpu_<gpu>_<date>.json and commit it.
# Extra arguments after `run` go to bench_gpu.py (e.g. `run --parts generator,live` to redo two parts).
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY="${CARRY_DIR:-.gpu_carry}"
SHARED="${W2LE_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
CLIPS=(talking/lrs3/00002.mp4 talking/web/retalking_1.mp4)
# the runtime's needs the device image lacks (numpy 2.x, torch, scipy, safetensors, tqdm, OpenCV, matplotlib,
# absl-py, attrs, flatbuffers, pytest are there; mediapipe 0.10.21 was checked to track faces under numpy 2)
WHEELS=(mediapipe==0.10.21 av==18.1.0 protobuf==4.25.8 platformdirs==4.3.6)
# mediapipe solutions the face tracker never loads (FaceMesh needs face_detection, face_landmark, iris_landmark)
UNUSED_MP=(selfie_segmentation palm_detection pose_landmark pose_detection holistic_landmark objectron hand_landmark)

stage() {
  if [[ "$CARRY" == .gpu_carry ]]; then
    excl="$(git rev-parse --git-path info/exclude)"
    grep -qxF '/.gpu_carry/' "$excl" 2>/dev/null || echo '/.gpu_carry/' >>"$excl"
  fi
  rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$CARRY/site"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$CARRY/wheels" "${WHEELS[@]}"
  for w in "$CARRY"/wheels/*.whl; do python3 -m zipfile -e "$w" "$CARRY/site"; done
  for m in "${UNUSED_MP[@]}"; do rm -rf "$CARRY/site/mediapipe/modules/$m"; done
  tar -C "$CARRY/site" -cf - . | xz -T0 -6 >"$CARRY/site.tar.xz"
  rm -rf "$CARRY/wheels" "$CARRY/site"
  for c in "${CLIPS[@]}"; do mkdir -p "$CARRY/data/$(dirname "$c")" && cp "$SHARED/$c" "$CARRY/data/$c"; done
  du -sh "$CARRY" "$CARRY"/*
}

run() {
  : "${OUT:?run this on the device machine (\$OUT is where results come back)}"
  mkdir -p /tmp/site && tar -C /tmp/site -xJf "$CARRY/site.tar.xz"
  export PYTHONPATH="/tmp/site:$PWD" W2LE_SHARED_DATA="$PWD/$CARRY/data" W2LE_CACHE_DIR=/tmp/w2le-cache
  export PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  python3 -c "import torch, numpy, mediapipe, av; print('torch', torch.__version__, torch.version.cuda,
    torch.cuda.is_available(), 'numpy', numpy.__version__, 'mediapipe', mediapipe.__version__, 'av', av.__version__)"
  set -o pipefail
  python3 benchmarks/bench_gpu.py --out "$OUT/gpu.json" "$@" 2>&1 | tee "$OUT/bench_gpu.log"
}

case "${1:-}" in
  stage) stage ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash benchmarks/bench_gpu_device.sh stage|run [bench_gpu.py args]" >&2; exit 2 ;;
esac
