// Light / dark / follow the system. The choice is applied before first paint by
// js/theme-boot.js (a classic script in <head>); this module is the toggle button.

const KEY = 'brain.theme';
const ORDER = ['system', 'light', 'dark'];
const LABELS = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };
const ICONS = { system: '◐', light: '☀', dark: '☾' };

export function currentTheme() {
  try {
    const t = localStorage.getItem(KEY);
    return ORDER.includes(t) ? t : 'system';
  } catch (e) {
    return 'system';
  }
}

export function isDark() {
  const t = document.documentElement.dataset.theme;
  if (t === 'dark') return true;
  if (t === 'light') return false;
  return matchMedia('(prefers-color-scheme: dark)').matches;
}

function apply(theme) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  const button = document.getElementById('theme-toggle');
  if (button) {
    button.setAttribute('aria-label', `${LABELS[theme]} (change)`);
    button.title = LABELS[theme];
    button.querySelector('.theme-icon').textContent = ICONS[theme];
  }
  document.dispatchEvent(new CustomEvent('themechange'));
}

export function initTheme() {
  apply(currentTheme());
  document.getElementById('theme-toggle').addEventListener('click', () => {
    // First click always changes what is seen: system → the other look → this look, pinned → system.
    const order = matchMedia('(prefers-color-scheme: dark)').matches ? ['system', 'light', 'dark'] : ['system', 'dark', 'light'];
    const next = order[(order.indexOf(currentTheme()) + 1) % order.length];
    try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: not remembered */ }
    apply(next);
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    document.dispatchEvent(new CustomEvent('themechange'));
  });
}
