// Runs in <head> before the page paints: the saved theme, else the system's.
(function () {
  var saved = null;
  try { saved = window.localStorage.getItem("theme"); } catch (e) { saved = null; }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var theme = saved === "dark" || saved === "light" ? saved : (dark ? "dark" : "light");
  document.documentElement.setAttribute("data-theme", theme);
})();
