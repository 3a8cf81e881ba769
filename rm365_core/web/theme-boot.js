// theme-boot.js — sets the colour theme before first paint (a classic script, so no flash).
(function () {
  var theme = null;
  try {
    theme = localStorage.getItem('rm365.theme');
  } catch (e) {
    /* storage disabled */
  }
  if (theme !== 'dark' && theme !== 'light') {
    theme = window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.dataset.theme = theme;
})();
