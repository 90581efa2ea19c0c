"""The places people search by, and the evidence for each: one table.

No scene classifier ships its weights in a registry this project installs
from, so the offline default reads places from an ImageNet classifier's whole
probability vector: ImageNet has a few scene classes (seashore, lakeside,
alp, valley, library, restaurant, bakery, church, …) and many objects that
say where a picture was taken (a trolleybus is in a street, a seat belt in a
vehicle, a stove in a kitchen). A place's score in a frame is the summed
probability of its classes; a shot's is the mean over its frames.

``PLACES`` is that table. Each row: the label users search by, whether it is
indoors or outdoors (``either``: decided by the rest of the evidence), the
ImageNet classes that show it (first names in the model's label file), and
the Places365 categories that map to it (name prefixes; used when a user
supplies Places365 weights). ``IO_ONLY`` adds classes that say nothing of the
place but do say indoors or outdoors (animals of the wild, food on a plate).
Labels that are objects never come out: the output is a row's label,
``indoor``/``outdoor`` when no row has enough evidence but the side is clear,
or ``unknown``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

INDOOR, OUTDOOR, EITHER = "indoor", "outdoor", "either"
UNKNOWN = "unknown"
MIN_PLACE = 0.15  # a shot's mean score for a place to be named
MIN_SIDE = 0.08  # |indoor - outdoor| evidence for the coarse fallback


@dataclass(frozen=True)
class Place:
    label: str
    io: str  # indoor | outdoor | either: then the evidence decides, else ``usual``
    imagenet: tuple[str, ...]
    places365: tuple[str, ...] = ()
    usual: str = OUTDOOR  # the side of an ``either`` place when the evidence is even


PLACES: tuple[Place, ...] = (
    Place("street", OUTDOOR, (
        "streetcar", "trolleybus", "minibus", "school bus", "cab", "police van", "minivan",
        "limousine", "jeep", "pickup", "convertible", "sports car", "beach wagon", "Model T",
        "garbage truck", "tow truck", "fire engine", "ambulance", "moving van", "trailer truck",
        "recreational vehicle", "moped", "motor scooter", "mountain bike", "bicycle-built-for-two",
        "tricycle", "unicycle", "jinrikisha", "traffic light", "street sign", "parking meter",
        "pay-phone", "mailbox", "manhole cover", "gas pump", "police van"),
        ("street", "crosswalk", "alley", "downtown", "highway", "parking lot", "bus station",
         "gas station", "driveway", "plaza", "sidewalk")),
    Place("building", OUTDOOR, (
        "palace", "castle", "monastery", "mosque", "stupa", "bell cote", "triumphal arch",
        "obelisk", "cinema", "planetarium", "water tower", "barn", "greenhouse",
        "thatch", "tile roof", "mobile home", "yurt", "flagpole", "library"),
        ("building facade", "office building", "apartment building", "house", "mansion",
         "palace", "castle", "tower", "church outdoor", "mosque outdoor", "temple", "barn",
         "skyscraper")),
    Place("city", OUTDOOR, ("suspension bridge", "steel arch bridge", "viaduct"),
          ("skyscraper", "downtown", "bridge", "tower", "embassy")),
    Place("beach", OUTDOOR, (
        "seashore", "sandbar", "promontory", "breakwater", "beacon", "swimming trunks", "bikini",
        "maillot", "sarong", "sea lion"),
        ("beach", "coast", "ocean", "lighthouse", "boardwalk", "sandbar")),
    Place("water", OUTDOOR, (
        "lakeside", "boathouse", "dock", "pier", "canoe", "paddle", "speedboat", "gondola", "yawl",
        "schooner", "catamaran", "trimaran", "fireboat", "lifeboat", "liner", "container ship",
        "paddlewheel", "dam", "wreck", "black swan", "goose", "drake"),
        ("lake", "river", "pond", "harbor", "boathouse", "dam", "canal outdoor", "waterfall",
         "creek", "fishpond", "swamp")),
    Place("mountain", OUTDOOR, (
        "alp", "valley", "volcano", "cliff", "cliff dwelling", "geyser", "ibex", "bighorn",
        "mountain tent"), ("mountain", "valley", "cliff", "canyon", "butte", "volcano", "crevasse")),
    Place("snow", OUTDOOR, ("ski", "snowmobile", "dogsled", "snowplow", "bobsled", "ski mask"),
          ("ski", "snowfield", "ice floe", "glacier", "igloo", "iceberg")),
    Place("forest", OUTDOOR, (
        "fox squirrel", "wood rabbit", "brown bear", "American black bear", "chain saw",
        "lumbermill", "hen-of-the-woods", "bolete", "agaric", "stinkhorn", "earthstar",
        "coral fungus", "gyromitra", "acorn", "buckeye"),
        ("forest", "rainforest", "bamboo forest", "tree farm", "woodland")),
    Place("park", OUTDOOR, (
        "park bench", "fountain", "swing", "maypole", "picket fence", "lawn mower", "daisy",
        "birdhouse", "patio", "carousel", "pinwheel"),
        ("park", "garden", "botanical garden", "playground", "yard", "picnic area",
         "amusement park", "lawn", "golf course")),
    Place("field", OUTDOOR, (
        "ox", "water buffalo", "bison", "ram", "hartebeest", "impala", "gazelle", "zebra",
        "sorrel", "hog", "ostrich", "Arabian camel", "llama", "hay", "harvester", "thresher",
        "plow", "tractor", "oxcart", "horse cart", "rapeseed", "corn", "ear", "worm fence",
        "megalith", "maze"),
        ("field", "pasture", "farm", "hayfield", "wheat field", "corn field", "rice paddy",
         "vineyard", "meadow", "prairie", "desert", "orchard")),
    Place("sports venue", EITHER, (
        "soccer ball", "basketball", "volleyball", "rugby ball", "football helmet", "baseball",
        "ballplayer", "scoreboard", "tennis ball", "racket", "puck", "golf ball", "golfcart",
        "horizontal bar", "parallel bars", "balance beam", "croquet ball", "ping-pong ball",
        "punching bag", "barbell", "dumbbell"),
        ("stadium", "baseball field", "football field", "soccer field", "basketball court",
         "tennis court", "volleyball court", "gymnasium", "boxing ring", "ice skating rink",
         "swimming pool", "athletic field", "racecourse", "arena"), usual=OUTDOOR),
    Place("home", INDOOR, (
        "studio couch", "four-poster", "quilt", "pillow", "wardrobe", "chiffonier", "china cabinet",
        "home theater", "entertainment center", "television", "rocking chair", "cradle", "crib",
        "bassinet", "bookcase", "table lamp", "lampshade", "window shade", "shoji", "window screen",
        "sliding door", "fire screen", "mosquito net", "radiator", "space heater", "vase", "pot",
        "doormat", "bathtub", "tub", "shower curtain", "toilet seat", "washbasin", "medicine chest",
        "soap dispenser", "bath towel", "prayer rug", "teddy", "Christmas stocking", "jigsaw puzzle",
        "sewing machine", "vacuum", "iron", "washer", "hamper", "dining table", "wall clock",
        "remote control", "dial telephone", "bannister"),
        ("living room", "bedroom", "bathroom", "dining room", "home office", "nursery", "childs room",
         "dorm room", "television room", "playroom", "attic", "basement", "closet", "staircase")),
    Place("kitchen", INDOOR, (
        "refrigerator", "microwave", "dishwasher", "stove", "Dutch oven", "frying pan", "wok",
        "caldron", "coffeepot", "teapot", "espresso maker", "toaster", "waffle iron", "mixing bowl",
        "plate rack", "dishrag", "spatula", "ladle", "Crock Pot", "rotisserie", "measuring cup",
        "strainer", "can opener", "corkscrew", "cleaver", "paper towel", "wooden spoon",
        "saltshaker", "dough"),
        ("kitchen", "galley", "pantry")),
    Place("office", INDOOR, (
        "desktop computer", "monitor", "screen", "computer keyboard", "mouse", "laptop", "notebook",
        "desk", "file", "binder", "printer", "photocopier", "modem", "hard disc", "space bar",
        "typewriter keyboard", "ballpoint", "fountain pen", "rubber eraser", "pencil box",
        "pencil sharpener", "envelope", "letter opener", "oscilloscope"),
        ("office", "cubicle", "conference room", "computer room", "server room", "reception")),
    Place("classroom", INDOOR, ("projector", "mortarboard", "academic gown", "slide rule"),
          ("classroom", "lecture room", "kindergarden classroom", "library indoor")),
    Place("shop", INDOOR, (
        "grocery store", "bakery", "barbershop", "bookshop", "butcher shop", "confectionery",
        "shoe shop", "tobacco shop", "toyshop", "shopping basket", "shopping cart", "cash machine",
        "vending machine", "barber chair"),
        ("shop", "store", "supermarket", "market indoor", "shopping mall", "bazaar indoor",
         "drugstore", "pharmacy", "bakery", "butchers shop", "delicatessen", "florist shop",
         "gift shop", "hardware store", "jewelry shop", "toyshop", "clothing store")),
    Place("restaurant", INDOOR, (
        "restaurant", "menu", "plate", "tray", "goblet", "beer glass", "red wine", "wine bottle",
        "cocktail shaker", "espresso", "eggnog", "pizza", "carbonara", "burrito", "cheeseburger",
        "hotdog", "consomme", "hot pot", "trifle", "guacamole", "meat loaf", "potpie"),
        ("restaurant", "cafeteria", "coffee shop", "bar", "pub indoor", "diner", "food court",
         "fastfood restaurant", "sushi bar", "beer hall", "banquet hall")),
    Place("stage", EITHER, (
        "stage", "theater curtain", "spotlight", "microphone", "loudspeaker", "electric guitar",
        "acoustic guitar", "drum", "drumstick", "grand piano", "upright", "violin", "cello",
        "banjo", "sax", "trombone", "cornet", "French horn", "flute", "oboe", "bassoon", "harp",
        "accordion", "maraca", "gong", "chime", "marimba", "steel drum", "panpipe"),
        ("stage", "auditorium", "concert hall", "music studio", "theater indoor", "orchestra pit",
         "ballroom", "discotheque"), usual=INDOOR),
    Place("church", EITHER, ("church", "altar", "organ", "vestment", "vault"),
          ("church", "cathedral", "chapel", "mosque indoor", "synagogue", "temple"), usual=INDOOR),
    Place("vehicle interior", INDOOR, ("seat belt", "car mirror", "odometer"),
          ("car interior", "bus interior", "train interior", "airplane cabin", "cockpit",
           "subway interior")),
    Place("workshop", INDOOR, (
        "carpenter's kit", "hammer", "power drill", "plane", "screwdriver", "screw", "nail",
        "hatchet", "oil filter", "disk brake", "car wheel", "forklift", "potter's wheel"),
        ("garage indoor", "workshop", "auto factory", "repair shop", "engine room",
         "assembly line", "art studio")),
)

# Classes that are no place but tell indoors from outdoors (ImageNet index ranges
# of its taxonomy, and a few objects); weighed like the rows above.
IO_ONLY: tuple[tuple[str, tuple[str, ...], tuple[tuple[int, int], ...]], ...] = (
    # fish, birds, reptiles, amphibians, sea life; wild dogs; big cats, bears,
    # insects, rodents, hoofed animals, primates, elephants (not pets)
    (OUTDOOR, ("kite", "parachute", "airliner", "warplane", "airship", "balloon", "missile",
               "projectile", "space shuttle", "drilling platform", "tripod", "umbrella",
               "sundial", "totem pole", "stone wall", "chainlink fence", "wing"),
     ((0, 150), (269, 280), (286, 330), (335, 397), (970, 980), (984, 998))),
    # food, drink and tableware; clothes worn indoors; indoor things
    (INDOOR, ("cup", "coffee mug", "candle", "wall clock", "analog clock", "bookcase", "crate",
              "carton", "envelope", "switch", "perfume", "lipstick", "hair spray", "face powder",
              "lotion", "abaya", "gown", "suit", "military uniform", "Windsor tie", "bow tie",
              "kimono", "pajama", "crossword puzzle", "comic book", "book jacket",
              "toilet tissue"),
     ((924, 957), (959, 969))),
)


def _prefixes(names: Sequence[str], wanted: tuple[str, ...]) -> list[int]:
    return [i for i, n in enumerate(names) if any(n == w or n.startswith(w + " ") for w in wanted)]


class PlaceScorer:
    """Scores a model's class probabilities against the vocabulary: built once
    for the model's label list (ImageNet names, or Places365 categories)."""

    def __init__(self, class_names: Sequence[str], places365: bool = False) -> None:
        self.places = PLACES
        n = len(class_names)
        self.weights = np.zeros((len(PLACES), n), np.float32)
        index: dict[str, list[int]] = {}
        for i, name in enumerate(class_names):
            index.setdefault(name, []).append(i)
        for row, place in enumerate(PLACES):
            cols = (_prefixes(class_names, place.places365) if places365 else
                    [i for name in place.imagenet for i in index.get(name, [])])
            self.weights[row, cols] = 1.0
        self.side = np.zeros(n, np.float32)  # +1 outdoor, -1 indoor, per class
        for row, place in enumerate(PLACES):
            if place.io != EITHER:
                self.side[self.weights[row] > 0] = 1.0 if place.io == OUTDOOR else -1.0
        if not places365:
            for io, names, ranges in IO_ONLY:
                sign = 1.0 if io == OUTDOOR else -1.0
                for name in names:
                    self.side[index.get(name, [])] = sign
                for lo, hi in ranges:
                    self.side[lo:min(hi, n - 1) + 1] = sign
        else:  # Places365 names say it: "… indoor" / "… outdoor", else the row's side
            for i, name in enumerate(class_names):
                if name.endswith(" indoor"):
                    self.side[i] = -1.0
                elif name.endswith(" outdoor"):
                    self.side[i] = 1.0

    def frame(self, probabilities: np.ndarray) -> dict[str, float]:
        """Per-place scores and the indoor/outdoor balance of one frame."""
        scores = self.weights @ probabilities
        out = {p.label: round(float(s), 4) for p, s in zip(self.places, scores, strict=True)}
        out["_side"] = round(float(self.side @ probabilities), 4)
        return out

    def decide(self, frames: Sequence[dict[str, float]]) -> tuple[str, float, str, list[tuple[str, float]]]:
        """A shot's place from its frames: (label, confidence, indoor|outdoor|unknown,
        the other places with their scores, best first)."""
        mean = {p.label: float(np.mean([f[p.label] for f in frames])) for p in self.places}
        side = float(np.mean([f["_side"] for f in frames]))
        ranked = sorted(mean.items(), key=lambda kv: -kv[1])
        best, score = ranked[0]
        io = OUTDOOR if side >= MIN_SIDE else INDOOR if side <= -MIN_SIDE else UNKNOWN
        others = [(label, round(s, 4)) for label, s in ranked[1:4] if s >= 0.01]
        if score >= MIN_PLACE:
            row = next(p for p in self.places if p.label == best)
            if row.io != EITHER:
                io = row.io
            elif io == UNKNOWN:
                io = row.usual
            return best, round(score, 4), io, others
        if io != UNKNOWN:
            return io, round(min(1.0, abs(side)), 4), io, [(best, round(score, 4)), *others][:3]
        return UNKNOWN, 0.0, UNKNOWN, [(best, round(score, 4)), *others][:3]


VOCABULARY: tuple[str, ...] = tuple(p.label for p in PLACES) + (INDOOR, OUTDOOR, UNKNOWN)
