// Keyboard shortcuts of the player, and the overlay that lists them.
import { h } from "./dom.js";

const SHORTCUTS = [
  ["Space or k", "play / pause"],
  ["j / l", "back / forward 10 seconds"],
  ["← / →", "back / forward 5 seconds"],
  [", / .", "one frame back / forward (pauses)"],
  ["n or ]", "next occurrence of the selected row"],
  ["N (shift+n) or [", "previous occurrence of the selected row"],
  ["/", "find in this video"],
  ["?", "show these shortcuts"],
];

function typing(el) {
  if (!el) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["range", "checkbox", "radio", "button", "submit", "reset", "file"].includes(el.type);
}

export function installKeys(player) {
  const dialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-h" },
    h("h2", { id: "shortcuts-h" }, "Keyboard shortcuts"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Action"))),
      h("tbody", {}, SHORTCUTS.map(([key, what]) => h("tr", {}, h("td", {}, h("kbd", {}, key)), h("td", {}, what))))),
    h("p", {}, "Keys do nothing while you type in a field."),
    h("form", { method: "dialog" }, h("button", { type: "submit" }, "Close")));
  document.body.append(dialog);
  player.keys = { showHelp: () => { if (!dialog.open) dialog.showModal(); } };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    const target = event.target;
    if (typing(target)) return;
    const onControl = target && ["BUTTON", "A", "SUMMARY"].includes(target.tagName);
    const onRange = target && target.tagName === "INPUT" && target.type === "range";
    const actions = {
      " ": onControl ? null : () => player.togglePlay(),
      k: () => player.togglePlay(),
      j: () => player.step(-10),
      l: () => player.step(10),
      ArrowLeft: onRange ? null : () => player.step(-5),
      ArrowRight: onRange ? null : () => player.step(5),
      ",": () => player.stepFrame(-1),
      ".": () => player.stepFrame(1),
      n: () => player.jumpSelected("next"),
      "]": () => player.jumpSelected("next"),
      N: () => player.jumpSelected("prev"),
      "[": () => player.jumpSelected("prev"),
      "/": () => player.find.input.focus(),
      "?": () => player.keys.showHelp(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
