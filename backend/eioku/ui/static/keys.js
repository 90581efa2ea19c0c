// Keyboard shortcuts of the player (YouTube's, plus the finder's own), and the overlay
// that lists them. They work wherever the focus is, the seek bar included, except in
// a field you type in and on the other sliders (volume, zoom, confidence: their arrows).
import { h } from "./dom.js";

const SHORTCUTS = [
  ["Space or k", "play / pause (space on a button presses the button)"],
  ["j / l", "back / forward 10 seconds"],
  ["← / →", "back / forward 5 seconds"],
  ["Home / End", "start / end of the video"],
  ["0 … 9", "go to 0 % … 90 % of the video"],
  [", / .", "one frame back / forward (while paused)"],
  ["< / >", "slower / faster (0.25× … 2×)"],
  ["↑ / ↓", "volume up / down"],
  ["m", "mute / unmute"],
  ["c", "captions on / off"],
  ["f", "full screen on / off"],
  ["i", "picture in picture"],
  ["Click / double click on the picture", "play / pause, full screen"],
  ["n or ]", "next occurrence of the selected row"],
  ["N (shift+n) or [", "previous occurrence of the selected row"],
  ["/", "find in this video"],
  ["b", "bookmark this moment (note, tags, collection)"],
  ["?", "show these shortcuts"],
];

function typing(el) {
  if (!el) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["range", "checkbox", "radio", "button", "submit", "reset", "file"].includes(el.type);
}

const SLIDER_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

export function installKeys(player) {
  const dialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-h" },
    h("h2", { id: "shortcuts-h" }, "Keyboard shortcuts"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Action"))),
      h("tbody", {}, SHORTCUTS.map(([key, what]) => h("tr", {}, h("td", {}, h("kbd", {}, key)), h("td", {}, what))))),
    h("p", {}, "Keys do nothing while you type in a field."),
    h("form", { method: "dialog" }, h("button", { type: "submit" }, "Close")));
  // in full screen only the stage is shown: the overlay goes where it can be seen
  const place = () => (document.fullscreenElement || document.body).append(dialog);
  place();
  document.addEventListener("fullscreenchange", () => { if (!dialog.open) place(); });
  player.keys = { showHelp: () => { if (!dialog.open) { place(); dialog.showModal(); } } };

  const controls = player.controls;
  const say = (message) => player.announce(message);
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    const target = event.target;
    if (typing(target)) return;
    const onControl = target && (["BUTTON", "A", "SUMMARY"].includes(target.tagName)
      || (target.tagName === "INPUT" && ["checkbox", "radio"].includes(target.type))); // space presses it
    const onSlider = target?.tagName === "INPUT" && target.type === "range" && target !== controls.seekBar;
    if (onSlider && SLIDER_KEYS.has(event.key)) return; // the slider's own keys
    const total = () => controls.total();
    const actions = {
      " ": onControl ? null : () => player.togglePlay(),
      k: () => player.togglePlay(),
      j: () => player.step(-10),
      l: () => player.step(10),
      ArrowLeft: () => player.step(-5),
      ArrowRight: () => player.step(5),
      Home: () => player.seek(0),
      End: () => player.seek(total()),
      ",": () => player.stepFrame(-1),
      ".": () => player.stepFrame(1),
      "<": () => say(`Speed ${controls.stepSpeed(-1)}×`),
      ">": () => say(`Speed ${controls.stepSpeed(1)}×`),
      ArrowUp: () => say(`Volume ${Math.round(controls.changeVolume(0.05) * 100)} %`),
      ArrowDown: () => say(`Volume ${Math.round(controls.changeVolume(-0.05) * 100)} %`),
      m: () => controls.toggleMute(),
      c: () => say(controls.toggleCaptions() ? "Captions on" : "Captions off"),
      f: () => controls.toggleFullscreen(),
      i: () => controls.togglePip(),
      n: () => player.jumpSelected("next"),
      "]": () => player.jumpSelected("next"),
      N: () => player.jumpSelected("prev"),
      "[": () => player.jumpSelected("prev"),
      "/": () => player.find.input.focus(),
      b: () => player.bookmarks?.open(),
      "?": () => player.keys.showHelp(),
    };
    for (let digit = 0; digit <= 9; digit++) actions[String(digit)] = () => player.seek((total() * digit) / 10);
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
