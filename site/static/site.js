// The course site's behaviour: theme toggle, lesson menu on phones, client-side search.
// No network: the search index is window.SEARCH_INDEX, loaded by static/search-index.js.
(function () {
  "use strict";
  var root = document.documentElement;

  // ---- dark mode: follows the system until the reader chooses; the choice is remembered
  var toggle = document.getElementById("theme-toggle");
  function setTheme(theme, remember) {
    root.setAttribute("data-theme", theme);
    toggle.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    if (remember) {
      try { window.localStorage.setItem("theme", theme); } catch (e) { /* private mode */ }
    }
  }
  setTheme(root.getAttribute("data-theme") || "light", false);
  toggle.addEventListener("click", function () {
    setTheme(root.getAttribute("data-theme") === "dark" ? "light" : "dark", true);
  });
  if (window.matchMedia) {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    var follow = function (event) {
      var saved = null;
      try { saved = window.localStorage.getItem("theme"); } catch (e) { saved = null; }
      if (!saved) { setTheme(event.matches ? "dark" : "light", false); }
    };
    if (query.addEventListener) { query.addEventListener("change", follow); }
  }

  // ---- the lesson list as a menu on narrow screens
  var menu = document.getElementById("menu-button");
  var sidebar = document.getElementById("sidebar");
  menu.addEventListener("click", function () {
    var open = sidebar.classList.toggle("open");
    menu.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // ---- search: every word of the query must appear in a lesson's text
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var index = (window.SEARCH_INDEX || []).map(function (entry) {
    return { entry: entry, haystack: (entry.title + " " + entry.text).toLowerCase() };
  });

  function snippet(text, word) {
    var at = text.toLowerCase().indexOf(word);
    if (at < 0) { return ""; }
    var start = Math.max(0, at - 50);
    return (start > 0 ? "…" : "") + text.slice(start, at + word.length + 70) + "…";
  }

  function item(href, title, detail) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = href;
    a.textContent = title;
    li.appendChild(a);
    if (detail) {
      var p = document.createElement("p");
      p.textContent = detail;
      li.appendChild(p);
    }
    return li;
  }

  function search() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { list.hidden = true; return; }
    var found = index.filter(function (x) {
      return words.every(function (w) { return x.haystack.indexOf(w) >= 0; });
    });
    found.forEach(function (x) {
      var e = x.entry;
      var section = (e.sections || []).filter(function (s) {
        return s.title.toLowerCase().indexOf(words[0]) >= 0;
      })[0];
      list.appendChild(item(section ? section.url : e.url, e.title, snippet(e.text, words[0])));
    });
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No lesson mentions “" + input.value.trim() + "”.";
      list.appendChild(none);
    }
    list.hidden = false;
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; search(); }
    if (event.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { window.location.href = first.href; }
    }
  });
})();
