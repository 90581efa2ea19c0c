#!/usr/bin/env bash
# `make demo`: analyze the committed sample video on the embedded database,
# then navigate it from the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
EIOKU=.venv/bin/eioku
SAMPLE=tests/data/sample.mp4

echo "== eioku analyze $SAMPLE"
$EIOKU analyze "$SAMPLE"
VIDEO=$($EIOKU add "$SAMPLE" --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[0]["video_id"])')

echo; echo "== eioku jump $VIDEO --kind scene --from-ms 4000      (next scene after 0:04)"
$EIOKU jump "$VIDEO" --kind scene --from-ms 4000
echo; echo "== eioku jump $VIDEO --kind scene --from-ms 4000 --direction prev"
$EIOKU jump "$VIDEO" --kind scene --from-ms 4000 --direction prev
for q in invoice cat; do
  echo; echo "== eioku find $VIDEO $q"
  $EIOKU find "$VIDEO" "$q" || true
done
echo; echo "== eioku search \"someone asks to be paid\"      (by meaning: none of these words is said)"
$EIOKU search "someone asks to be paid" --video "$VIDEO" --limit 5 || true
echo; echo "== eioku jump $VIDEO --kind object --label cat"
$EIOKU jump "$VIDEO" --kind object --label cat || true
echo; echo "== eioku faces      (people across the library)"
$EIOKU faces || true
echo; echo "== eioku jump $VIDEO --kind face      (first appearance of anyone)"
$EIOKU jump "$VIDEO" --kind face || true

cat <<TXT

Done. Now watch what Eioku found in the web player:
  .venv/bin/eioku serve
  then open http://127.0.0.1:8000/videos/$VIDEO   (the library is at http://127.0.0.1:8000/)
The same from the API:  curl 'http://127.0.0.1:8000/v1/videos/$VIDEO/jump?kind=scene&from_ms=4000'
TXT
