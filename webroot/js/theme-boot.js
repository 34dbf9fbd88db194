// Applies the saved light/dark choice before the page paints (no flash of the other theme).
(function () {
  try {
    var t = localStorage.getItem('brain.theme');
    if (t === 'light' || t === 'dark') document.documentElement.setAttribute('data-theme', t);
  } catch (e) { /* storage unavailable: follow the system */ }
})();
