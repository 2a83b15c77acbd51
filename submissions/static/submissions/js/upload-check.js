// Checks the upload form's other fields before it is sent (submissions/upload.html).
//
// A browser never fills a file input in again, so if the server found the extract date
// missing, the files chosen were lost with the page and the next submit failed for want of
// them. This runs the same checks as the server (submissions.forms.UploadForm and
// GovukDateField, same messages) on submit, and if any fails it stops the submit and shows the
// errors the GOV.UK way, an error summary and a message beside each field, with the files
// still chosen. The server still checks everything; without this script it says to choose the
// files again.

const form = document.querySelector('form[data-upload-check]')

const digits = /^[0-9]+$/

// The error of one GOV.UK date input, or null: the messages of GovukDateField.
function dateError (fieldset) {
  const noun = fieldset.dataset.dateNoun
  const boxes = Array.from(fieldset.querySelectorAll('input'))
  const [day, month, year] = boxes.map((box) => box.value.trim())
  if (!day && !month && !year) {
    return fieldset.hasAttribute('data-date-required') ? { message: `Enter the ${noun}` } : null
  }
  const missing = ['day', 'month', 'year'].filter((_, index) => ![day, month, year][index])
  if (missing.length) return { message: `The ${noun} must include a ${missing.join(' and a ')}` }
  const date = new Date(Number(year), Number(month) - 1, Number(day))
  const real = [day, month, year].every((part) => digits.test(part)) && year.length === 4 &&
    date.getFullYear() === Number(year) && date.getMonth() === Number(month) - 1 &&
    date.getDate() === Number(day)
  if (!real) return { message: `The ${noun} must be a real date` }
  const today = new Date()
  today.setHours(0, 0, 0, 0)
  if (date > today) return { message: `The ${noun} must be today or in the past` }
  return { date }
}

// Remove the errors shown before (the server's or this script's last ones).
function clearErrors () {
  document.querySelectorAll('.govuk-error-summary').forEach((summary) => summary.remove())
  form.querySelectorAll('.govuk-error-message').forEach((message) => {
    const described = message.closest('.govuk-form-group').querySelector('[aria-describedby]')
    if (described) {
      const ids = described.getAttribute('aria-describedby').split(' ').filter((id) => id && id !== message.id)
      described.setAttribute('aria-describedby', ids.join(' '))
    }
    message.remove()
  })
  form.querySelectorAll('.govuk-form-group--error').forEach((group) => group.classList.remove('govuk-form-group--error'))
  form.querySelectorAll('.govuk-input--error').forEach((box) => box.classList.remove('govuk-input--error'))
  form.querySelectorAll('.govuk-file-upload--error').forEach((box) => box.classList.remove('govuk-file-upload--error'))
  document.title = document.title.replace(/^Error: /, '')
}

// Show one error beside its field: ``anchor`` is the control the summary links to, ``described``
// the element (fieldset or input) the message describes, ``errorId`` the message's id.
function showError (anchor, described, errorId, message, inputs) {
  const group = described.closest('.govuk-form-group')
  group.classList.add('govuk-form-group--error')
  const paragraph = document.createElement('p')
  paragraph.className = 'govuk-error-message'
  paragraph.id = errorId
  const hidden = document.createElement('span')
  hidden.className = 'govuk-visually-hidden'
  hidden.textContent = 'Error:'
  paragraph.append(hidden, ` ${message}`)
  const hint = group.querySelector('.govuk-hint')
  if (hint && hint.closest('.govuk-form-group') === group) hint.after(paragraph)
  else (group.querySelector('legend') || group.querySelector('label')).after(paragraph)
  const ids = (described.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
  described.setAttribute('aria-describedby', [...ids, errorId].join(' '))
  inputs.forEach((input) => {
    if (input.classList.contains('govuk-input')) input.classList.add('govuk-input--error')
    if (input.classList.contains('govuk-file-upload')) input.classList.add('govuk-file-upload--error')
  })
  return { anchor, message }
}

function showSummary (errors) {
  const summary = document.createElement('div')
  summary.className = 'govuk-error-summary'
  summary.tabIndex = -1
  const alert = document.createElement('div')
  alert.setAttribute('role', 'alert')
  const title = document.createElement('h2')
  title.className = 'govuk-error-summary__title'
  title.textContent = 'There is a problem'
  const body = document.createElement('div')
  body.className = 'govuk-error-summary__body'
  const list = document.createElement('ul')
  list.className = 'govuk-list govuk-error-summary__list'
  errors.forEach(({ anchor, message }) => {
    const link = document.createElement('a')
    link.href = `#${anchor.id}`
    link.textContent = message
    // As govuk-frontend's error summary: move focus to the control, not just scroll.
    link.addEventListener('click', (event) => {
      event.preventDefault()
      anchor.focus()
      anchor.closest('.govuk-form-group').scrollIntoView()
    })
    const item = document.createElement('li')
    item.append(link)
    list.append(item)
  })
  body.append(list)
  alert.append(title, body)
  summary.append(alert)
  document.querySelector('main').prepend(summary)
  document.title = `Error: ${document.title}`
  summary.focus()
}

if (form) {
  form.addEventListener('submit', (event) => {
    const errors = []
    clearErrors()
    const radios = Array.from(form.querySelectorAll('input[type="radio"][name="local_authority"]'))
    if (radios.length && !radios.some((radio) => radio.checked)) {
      const fieldset = radios[0].closest('fieldset')
      errors.push(showError(radios[0], fieldset, 'id_local_authority-error', form.dataset.laRequired, []))
    }
    const files = form.querySelector('input[type="file"]')
    if (files && files.files.length === 0) {
      errors.push(showError(files, files, `${files.id}-error`, form.dataset.filesRequired, [files]))
    }
    const dates = {}
    form.querySelectorAll('fieldset[data-date-noun]').forEach((fieldset) => {
      const boxes = Array.from(fieldset.querySelectorAll('input'))
      const result = dateError(fieldset)
      if (result && result.message) {
        errors.push(showError(boxes[0], fieldset, `${boxes[0].id}-error`, result.message, boxes))
      } else if (result) {
        dates[boxes[0].name.replace(/_day$/, '')] = { date: result.date, fieldset, boxes }
      }
    })
    const { as_of: asOf, coverage_start: start } = dates
    if (asOf && start && start.date >= asOf.date) {
      errors.push(showError(start.boxes[0], start.fieldset, `${start.boxes[0].id}-error`, form.dataset.coverageAfter, start.boxes))
    }
    if (errors.length) {
      event.preventDefault()
      showSummary(errors)
    }
  })
}
