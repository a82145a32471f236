#!/bin/sh
# What a change costs in wall-clock time: `make bench`'s cold and cached workloads against
# this tree's release resolvd and an earlier commit's, in one run, the two daemons taking
# turns going first in each run (resolvd-bench all --baseline-resolvd). Prints both rows,
# their ratios and the ratio of daemon CPU per lookup; medians of RUNS runs.
#
# The earlier commit is built once in a worktree under .build/baseline (kept for the next
# run; a different BASE checks it out there and builds again).
#
#   scripts/bench-baseline.sh                  # BASE=c739657 (main before issue 11), RUNS=5
set -eu
BASE=${BASE:-c739657}
RUNS=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release --product resolvd
swift build -c release --product resolvd-bench
if [ -d .build/baseline ]; then
    git -C .build/baseline checkout -q --detach "$BASE"
else
    git worktree add -q --detach .build/baseline "$BASE"
fi
echo "baseline: $(git -C .build/baseline log --oneline -1)"
swift build -c release --product resolvd --package-path .build/baseline
.build/release/resolvd-bench all --only cold cached --runs "$RUNS" --per-run \
    --baseline-resolvd "$root/.build/baseline/.build/release/resolvd"
