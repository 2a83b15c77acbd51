// Says when a wide table is cut off: "Scroll the table sideways to see all columns".
//
// Every table of figures sits in a focusable, scrolling region (portal/templates/govuk/table.html,
// .app-table-scroll) with a hidden hint just before it. The hint is shown only while the table
// is wider than its region, on a phone or in a narrow window, and hidden again when it fits;
// a ResizeObserver also notices a table in a <details> being opened. Without this script the
// region's edge shadows (frontend/scss/app.scss) still show that there is more to scroll to.

function update (region) {
  const hint = region.previousElementSibling
  if (!hint || !hint.classList.contains('app-table-scroll__hint')) return
  hint.hidden = region.scrollWidth <= region.clientWidth + 1
}

const regions = document.querySelectorAll('.app-table-scroll')
if ('ResizeObserver' in window) {
  const observer = new ResizeObserver((entries) => entries.forEach((entry) => update(entry.target)))
  regions.forEach((region) => observer.observe(region))
} else {
  regions.forEach(update)
}
