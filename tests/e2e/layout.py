"""What a page looks like, measured in the browser: the boxes of its elements,
whether a row of form controls lines up, and whether the top bar fits a phone
(every link a 44px touch target, nothing past the screen's edge, no label or
hint cut off)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

TOUCH_PX = 44  # the least height of something to tap on a phone (Apple's and WCAG 2.5.5's 44 CSS px)

_BOXES = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
  const b = e.getBoundingClientRect();
  const text = ['INPUT', 'SELECT'].includes(e.tagName) ? e.value : e.innerText;
  return { tag: e.tagName.toLowerCase(), text: (text || '').trim(),
           left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width, height: b.height,
           clipped: e.scrollWidth > e.clientWidth + 1 };
})"""

# how wide an input's placeholder is drawn, beside the room for it (its box less its padding and border)
_HINT = """(selector) => {
  const input = document.querySelector(selector), style = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [ctx.measureText(input.placeholder).width, room];
}"""


def boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    """The box (CSS px, from the viewport's top left) of each element ``selector`` finds."""
    return page.evaluate(_BOXES, selector)


def form_rows(page: Page, selector: str) -> list[list[dict[str, Any]]]:
    """For each form ``selector`` finds, the boxes of its inputs, selects and buttons."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].map((form) =>
      [...form.querySelectorAll('input, select, button')].map((e) => {
        const b = e.getBoundingClientRect();
        return { tag: e.tagName.toLowerCase(), text: (e.tagName === 'BUTTON' ? e.innerText : e.id).trim(),
                 left: b.left, right: b.right, top: b.top, bottom: b.bottom, height: b.height };
      }))""", selector)


def same_height(found: list[dict[str, Any]], tolerance: float = 1.0) -> None:
    heights = [(b["tag"], round(b["height"], 1)) for b in found]
    assert max(h for _, h in heights) - min(h for _, h in heights) <= tolerance, f"heights differ: {heights}"


def same_row(found: list[dict[str, Any]], tolerance: float = 1.0) -> None:
    tops = [(b["text"] or b["tag"], round(b["top"], 1)) for b in found]
    assert max(t for _, t in tops) - min(t for _, t in tops) <= tolerance, f"not on one row: {tops}"


def tall_enough(found: list[dict[str, Any]], least: float = TOUCH_PX) -> None:
    short = [(b["text"] or b["tag"], round(b["height"], 1)) for b in found if b["height"] < least - .5]
    assert not short, f"under {least} px tall to tap: {short}"


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px screen"


def top_bar_fits(page: Page, phone: bool) -> None:
    """The top bar: on a phone every link, the search box and its button at least 44px
    tall, none past the screen's right edge, no link's label cut off, the search hint
    whole and the page no wider than the screen; on a desktop one row, as it was."""
    links = boxes(page, ".topbar a, .topbar input, .topbar button")
    assert len(links) == 8, links  # the brand, five pages, the search box and its button
    clipped = [b["text"] for b in links if b["clipped"] and b["tag"] == "a"]
    assert not clipped, f"labels cut off: {clipped}"
    hint, room = page.evaluate(_HINT, "#library-q")
    assert hint <= room, f"the search hint is {hint:.0f} px in a {room:.0f} px box: cut off"
    bar = boxes(page, ".topbar")[0]
    if phone:
        tall_enough(links)
        width = page.evaluate("() => window.innerWidth")
        past = [(b["text"] or b["tag"], round(b["left"]), round(b["right"])) for b in links
                if b["right"] > width or b["left"] < 0]
        assert not past, f"past the screen's edge: {past}"
        fits_the_screen(page)
        assert bar["height"] <= 120, f"the top bar takes {bar['height']:.0f} px of the phone's height"
    else:
        same_row([b for b in links if b["tag"] == "a" and b["text"] != "Eioku"])
        assert bar["height"] <= 60, f"the top bar is {bar['height']:.0f} px tall: more than one row"
