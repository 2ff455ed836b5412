#!/usr/bin/env bash
# Vector index and near-duplicates (issue 13), two parts, each printing one line of figures with the load average:
#  1. `enb bench index`: USearch HNSW (cosine) over N clustered synthetic 1280-d embeddings (1000 centres + uniform
#     noise, regenerated per id so they never sit in memory): build wall and CPU seconds, peak RSS, recall@10 against an
#     exact scan for 1,000 held-out queries, query p50/p99, and a near-duplicate pass over all N (threshold 0.95).
#  2. Planted duplicates: every sample photo (samples/photos) plus four copies of it (a 70% centre crop, a JPEG
#     re-encode at quality 30, a 50% resize, a horizontal flip) labeled with `enb label` (the bundled model), then
#     `enb near-duplicates`; precision and recall of the image pairs against the planted families, per threshold.
#  Part 1 builds one index and measures recall and latency at each search expansion given (--expansion-search 64,256:
#  a curve from one build). --intrinsic-dimensions k puts each cluster's vectors in a k-dimensional subspace instead of
#  noise on all 1280 dimensions (see SyntheticEmbeddings).
# Usage: tools/bench-embeddings.sh [--precision f16] [--expansion 32] [--expansion-search 64,256] [--intrinsic-dimensions 16]
#                                  [--no-near-duplicates] [counts...]   (default counts: 100000)
#        tools/bench-embeddings.sh --full      (1,000,000; on 2 cores this takes tens of minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
extra=()
counts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) counts+=(1000000); shift ;;
    --precision|--expansion|--connectivity|--expansion-search|--intrinsic-dimensions) extra+=("$1" "$2"); shift 2 ;;
    --no-near-duplicates) extra+=("$1"); shift ;;
    *) counts+=("$1"); shift ;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(100000)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"

for n in "${counts[@]}"; do
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  $enb bench index --count "$n" --queries 1000 "${extra[@]}"
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
done

# Part 2: planted near-duplicates of real photos, through the model.
/usr/bin/python3 - "$work/corpus" <<'PY'
import io, os, sys
from PIL import Image, ImageOps
out = sys.argv[1]
os.makedirs(out)
src = "samples/photos"
for name in sorted(os.listdir(src)):
    if not name.lower().endswith((".jpg", ".png")):
        continue
    stem = os.path.splitext(name)[0]
    image = Image.open(os.path.join(src, name)).convert("RGB")
    w, h = image.size
    image.save(f"{out}/{stem}.orig.png")
    image.crop((int(w * 0.15), int(h * 0.15), int(w * 0.85), int(h * 0.85))).save(f"{out}/{stem}.crop.png")
    image.save(f"{out}/{stem}.jpeg30.jpg", quality=30)
    image.resize((w // 2, h // 2), Image.BICUBIC).save(f"{out}/{stem}.half.png")
    ImageOps.mirror(image).save(f"{out}/{stem}.flip.png")
PY
$enb label "$work/corpus" --db "$work/planted.db" --run-name planted >/dev/null
for t in 0.90 0.95 0.98; do
  $enb near-duplicates --db "$work/planted.db" --run planted --threshold "$t" --out "$work/groups-$t.jsonl" >/dev/null
  /usr/bin/python3 - "$work/groups-$t.jsonl" "$work/corpus" "$t" <<'PY'
import itertools, json, os, sys
groups_file, corpus, threshold = sys.argv[1:]
family = lambda key: key.split(".")[0]
keys = sorted(os.listdir(corpus))
truth = {tuple(sorted(p)) for p in itertools.combinations(keys, 2) if family(p[0]) == family(p[1])}
found = set()
for line in open(groups_file):
    members = [i["key"] for i in json.loads(line)["images"]]
    found |= {tuple(sorted(p)) for p in itertools.combinations(members, 2)}
tp = len(found & truth)
precision = tp / len(found) if found else 1.0
recall = tp / len(truth)
print(f"planted threshold={threshold} images={len(keys)} true_pairs={len(truth)} found_pairs={len(found)} precision={precision:.3f} recall={recall:.3f}")
PY
done
