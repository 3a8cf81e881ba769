// The good sample's tab: a static ES module served at /plugins/good/index.js.
export function render(root) {
  root.textContent = "Good sample";
}
