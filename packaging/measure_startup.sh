#!/usr/bin/env bash
# Time from launch to the main window shown, for the frozen app, under a real X server (Xvfb).
# Usage: packaging/measure_startup.sh [EXECUTABLE] [RUNS]     (default dist/InkLift/InkLift, 5 runs)
# Each run: wall clock taken just before exec, the app prints the epoch of its first exposed window
# (--measure-startup, see packaging/inklift_entry.py) and quits; first run is cold-ish (page cache), the
# median of the rest is what packaging/README.md reports.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=${1:-dist/InkLift/InkLift}
RUNS=${2:-5}
command -v Xvfb >/dev/null || { echo "measure_startup: Xvfb missing (apt-get install xvfb)" >&2; exit 1; }
DISPLAY_NUM=:$((90 + RANDOM % 9))
Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
trap 'kill $XPID 2>/dev/null || true; rm -rf "$CFG"' EXIT
CFG=$(mktemp -d)
sleep 1
times=()
for i in $(seq 1 "$RUNS"); do
  t0=$(date +%s.%N)
  line=$(DISPLAY=$DISPLAY_NUM INKLIFT_CONFIG_DIR=$CFG QT_QPA_PLATFORM=xcb timeout 60 "$EXE" --measure-startup 2>/dev/null \
         | grep '^startup: window shown' || true)
  [ -n "$line" ] || { echo "run $i: no window shown" >&2; exit 1; }
  shown=$(sed -n 's/.*epoch \([0-9.]*\).*/\1/p' <<<"$line")
  dt=$(python3 -c "print(f'{$shown - $t0:.3f}')")
  times+=("$dt")
  echo "run $i: launch -> window shown ${dt} s   ($line)"
done
python3 - "${times[@]}" <<'PY'
import statistics, sys
t = [float(x) for x in sys.argv[1:]]
rest = t[1:] or t
print(f"launch to window shown: median {statistics.median(rest):.2f} s (runs 2..n), first run {t[0]:.2f} s, "
      f"max {max(t):.2f} s over {len(t)} runs")
PY
