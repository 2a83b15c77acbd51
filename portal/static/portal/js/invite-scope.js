// The invite form shows only the scope the chosen role takes, and filters the long list of
// local authorities (portal/templates/access_admin/invite.html).
//
// Each scope panel sits under the roles that take it (data-scope on each radio names "la",
// "region" or nothing) and is shown while one of them is chosen, as the GOV.UK conditional
// reveal is: the radios point at their panel with aria-controls. govuk-frontend's own
// reveal ties one panel to one radio, and the local authority panel serves three roles, so
// this does it instead. A hidden panel's boxes are disabled, so ticks left in it are not sent
// (and come back if its role is chosen again). A panel the server marked in error stays shown
// until the role changes, so its message is not hidden. Without this script every panel shows
// and the server says which scope does not fit the role.

const roles = document.querySelector('[data-invite-roles]')
if (roles) {
  const radios = Array.from(roles.querySelectorAll('input[type="radio"][data-scope]'))
  const panels = Array.from(roles.querySelectorAll('[data-scope-panel]'))

  const sync = (keepErrors) => {
    const chosen = radios.find((radio) => radio.checked)
    const scope = chosen ? chosen.dataset.scope : ''
    panels.forEach((panel) => {
      const shown = panel.dataset.scopePanel === scope ||
        (keepErrors && panel.querySelector('.govuk-form-group--error') !== null)
      panel.classList.toggle('govuk-radios__conditional--hidden', !shown)
      panel.querySelectorAll('input[type="checkbox"]').forEach((box) => { box.disabled = !shown })
    })
  }
  radios.forEach((radio) => {
    const panel = panels.find((p) => p.dataset.scopePanel === radio.dataset.scope)
    // aria-controls only: aria-expanded is not allowed on a radio (axe: aria-allowed-attr).
    if (panel) radio.setAttribute('aria-controls', panel.id)
  })
  radios.forEach((radio) => radio.addEventListener('change', () => sync(false)))
  sync(true)

  // The filter: hides the local authorities whose name does not contain what is typed.
  // Ticked ones always stay in view, so what has been chosen can be seen and unticked.
  roles.querySelectorAll('[data-scope-filter]').forEach((filter) => {
    const box = filter.querySelector('input')
    const status = filter.querySelector('[data-scope-filter-status]')
    const items = Array.from(filter.parentElement.querySelectorAll('.govuk-checkboxes__item'))
    const apply = () => {
      const text = box.value.trim().toLowerCase()
      let shown = 0
      items.forEach((item) => {
        const input = item.querySelector('input')
        const match = !text || input.checked ||
          item.querySelector('label').textContent.toLowerCase().includes(text)
        item.style.display = match ? '' : 'none' // not `hidden`: the item's own display wins
        if (match) shown += 1
      })
      status.textContent = text ? `${shown} of ${items.length} shown` : ''
    }
    box.addEventListener('input', apply)
    // Enter in the box would send the form half filled in.
    box.addEventListener('keydown', (event) => { if (event.key === 'Enter') event.preventDefault() })
    filter.hidden = false
  })
}
