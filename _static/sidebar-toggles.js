// Make every site-navigation and page-contents button work, at every width.
//
// pydata-sphinx-theme 0.17 adds a hidden toggle to the top navbar, and both it and
// sphinx-book-theme bind their handlers to the *first* `.primary-toggle` and
// `.secondary-toggle` in the page: the hidden one. The visible buttons then do nothing
// (pydata-sphinx-theme issue #2451). Until that is fixed upstream, forward a click on any
// other toggle to the bound one, which opens the panel on phones and tablets and
// collapses the sidebar on the desktop.
document.addEventListener("DOMContentLoaded", () => {
  for (const selector of [".primary-toggle", ".secondary-toggle"]) {
    const [bound, ...others] = document.querySelectorAll(selector);
    if (!bound) continue;
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  }
});
