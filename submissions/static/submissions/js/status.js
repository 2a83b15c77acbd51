// Progressive enhancement for the submission status page (submissions/detail.html).
//
// While the files are being checked, ask the status endpoint every few seconds and update
// the status tag and the aria-live summary, so screen readers hear progress without the
// page moving. When the status becomes final (ready, has errors, failed...) reload once:
// the page then shows the outcome, the report link and the accept button. There is no
// meta refresh (an automatic reload is a WCAG failure); without JavaScript the page's
// "Refresh status" link does the same job.
//
// Polling stops after MAX_POLL_MINUTES: every poll keeps the session alive, and a tab left
// open should not keep someone signed in indefinitely. The link still works after that.

const POLL_MS = 2500
const MAX_POLL_MINUTES = 20

function start (block) {
  const url = block.dataset.statusUrl
  const tag = block.querySelector('.govuk-tag')
  const summary = block.querySelector('[aria-live]')
  const giveUpAt = Date.now() + MAX_POLL_MINUTES * 60 * 1000

  async function poll () {
    let status
    try {
      // redirect: 'manual': if the session has ended the endpoint redirects to sign in;
      // following that would hand us an HTML page, so treat it as "stop".
      const response = await fetch(url, {
        headers: { Accept: 'application/json' },
        cache: 'no-store',
        redirect: 'manual'
      })
      if (!response.ok) {
        // Signed out, or access removed: leave the page as it is.
        if (response.type === 'opaqueredirect' || response.status < 500) return
        throw new Error(`status ${response.status}`)
      }
      status = await response.json()
    } catch {
      schedule() // a network blip or a server restart: try again later
      return
    }
    if (status.final) {
      window.location.reload()
      return
    }
    tag.textContent = status.label
    tag.className = `govuk-tag ${status.tag_class}`.trim()
    // Only touch the live region when the words change, or it is read out every poll.
    if (summary.textContent !== status.summary) summary.textContent = status.summary
    schedule()
  }

  function schedule () {
    if (Date.now() < giveUpAt) window.setTimeout(poll, POLL_MS)
  }

  schedule()
}

const block = document.getElementById('submission-status')
if (block && block.dataset.final === 'false') start(block)
