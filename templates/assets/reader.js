/* Reading options: text size (A A A) and high contrast, remembered on the reader's device.
   Progressive enhancement: without JavaScript the controls stay hidden and every page reads
   as normal; the high-contrast style can still be chosen in browsers that list page styles.
   Loaded in <head> without `defer`: the reader's text size and contrast, and the phone menu
   folded, are set before the first paint, so the page does not jump (or flash white) after it
   is shown. The buttons are wired once the page is parsed. */
(function () {
  "use strict";
  var root = document.documentElement;
  var store;
  try { store = window.localStorage; } catch (e) { store = null; }

  function remember(key, value) {
    try { if (store) { store.setItem("plansite-" + key, value); } } catch (e) { /* private mode */ }
  }
  function recall(key) {
    try { return store ? store.getItem("plansite-" + key) : null; } catch (e) { return null; }
  }
  function contrastSheet() {
    return document.querySelector('link[href$="contrast.css"]');
  }
  function setSize(size) {
    root.style.fontSize = size === "100" ? "" : size + "%";
    document.querySelectorAll("[data-size]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-size") === size));
    });
  }
  function setContrast(on) {
    var sheet = contrastSheet();
    if (sheet) {
      // Chromium applies an alternate style sheet only once it is a plain style sheet.
      sheet.rel = on ? "stylesheet" : "alternate stylesheet";
      sheet.disabled = !on;
      // Chromium may keep a loaded, titled sheet applied after its link is switched off: switch
      // the style sheet itself too, now and whenever it (re)loads.
      if (sheet.sheet) { sheet.sheet.disabled = !on; }
      sheet.onload = function () { if (sheet.sheet) { sheet.sheet.disabled = !on; } };
    }
    root.classList.toggle("ps-contrast", on);
    document.querySelectorAll("[data-contrast]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(on));
    });
  }

  // The style sheet shows the controls, and folds the menu on phones, under .ps-js.
  root.classList.add("ps-js");
  var size = recall("size") || "100";
  setSize(size);
  setContrast(recall("contrast") === "on");

  function wire() {
    setSize(size); // the buttons' states, now that they exist
    setContrast(root.classList.contains("ps-contrast"));
    // The menu on phones: the header's navigation and text size fold behind a button (on narrow
    // screens only); high contrast stays in the bar.
    document.querySelectorAll("[data-menu-button]").forEach(function (button) {
      var header = button.closest("header");
      function show(open) {
        header.setAttribute("data-menu", open ? "open" : "closed");
        button.setAttribute("aria-expanded", String(open));
      }
      show(false);
      button.addEventListener("click", function () { show(button.getAttribute("aria-expanded") !== "true"); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
          show(false);
          button.focus();
        }
      });
    });
    document.querySelectorAll("[data-size]").forEach(function (button) {
      button.addEventListener("click", function () {
        var size = button.getAttribute("data-size");
        setSize(size);
        remember("size", size);
      });
    });
    document.querySelectorAll("[data-contrast]").forEach(function (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        setContrast(on);
        remember("contrast", on ? "on" : "off");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
