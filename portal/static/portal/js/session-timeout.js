// Session timeout warning (WCAG 2.2.1 Timing adjustable) for signed-in pages.
//
// The server signs a session out after SESSION_COOKIE_AGE seconds without a request (the
// idle limit, restarted by every request) and SESSION_ABSOLUTE_SECONDS after sign-in (the
// absolute limit, which nothing extends). The dialog in portal/includes/session_timeout.html
// carries both as data-* attributes, counted from when the server rendered the page. This
// script starts counting when it runs, a little after the server saved the session, so its
// deadlines fall just after the server's: when it gives up, the session has already ended.
//
// The warning opens data-warning-seconds before whichever limit comes first. For the idle
// limit, "Stay signed in" (or Escape) posts to the extend endpoint, which restarts the
// server's idle clock, and the countdown starts again. The absolute limit cannot be
// extended: the dialog says so and offers "Close" instead. At zero the browser posts the
// dialog's form (with its CSRF token) to the timed-out page, which signs out and shows
// itself; for the absolute limit the server sends it to the sign-in page with its own
// message. Signing out is always a POST: a GET of that page never signs anyone out.
//
// Deadlines are wall-clock times checked every second rather than one long setTimeout, so a
// computer waking from sleep or a throttled background tab acts on the real time left.
// Tabs share activity over a BroadcastChannel: loading a page or staying signed in in one
// tab restarts the server's idle clock for all of them, so the others must not warn or sign
// out on their own stale count.

const TICK_MS = 1000
// Screen readers hear the countdown at most this often; every second would drown the page.
const ANNOUNCE_EVERY_SECONDS = 20
const CHANNEL_NAME = 'portal-session-activity'

/** "2 minutes", "1 minute 40 seconds", "45 seconds": as portal.session_views.describe_duration. */
function describe (totalSeconds) {
  const minutes = Math.floor(totalSeconds / 60)
  const seconds = totalSeconds % 60
  const parts = []
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`)
  if (seconds || !minutes) parts.push(`${seconds} second${seconds === 1 ? '' : 's'}`)
  return parts.join(' ')
}

function show (element, shown) {
  element.classList.toggle('govuk-!-display-none', !shown)
}

class SessionTimeoutWarning {
  constructor (dialog) {
    const data = dialog.dataset
    const now = Date.now()
    this.dialog = dialog
    this.idleMs = Number(data.idleSeconds) * 1000
    this.warningMs = Number(data.warningSeconds) * 1000
    // The server restarts its idle clock at most once a minute: count from its last restart.
    this.idleDeadline = now + Number(data.idleRemainingSeconds) * 1000
    this.absoluteDeadline = now + Number(data.absoluteRemainingSeconds) * 1000
    this.extendUrl = data.extendUrl
    this.timedOutUrl = data.timedOutUrl

    this.heading = dialog.querySelector('#session-timeout-heading')
    this.countdown = dialog.querySelector('#session-timeout-countdown')
    this.announcement = dialog.querySelector('#session-timeout-announcement')
    this.absoluteMessage = dialog.querySelector('#session-timeout-absolute')
    this.error = dialog.querySelector('#session-timeout-error')
    this.form = dialog.querySelector('#session-timeout-form')
    this.stayButton = dialog.querySelector('#session-timeout-stay')
    this.closeButton = dialog.querySelector('#session-timeout-close')

    this.absolute = false // which limit the open dialog is about
    this.absoluteDismissed = false // the absolute warning was closed: do not reopen it
    this.announcedBucket = null
    this.returnFocusTo = null
    this.extending = false

    this.stayButton.addEventListener('click', () => this.staySignedIn())
    this.closeButton.addEventListener('click', () => this.dismiss())
    dialog.querySelector('#session-timeout-sign-out').addEventListener('click', (event) => {
      // The link's own GET only shows allauth's "Are you sure?" page; the form signs out.
      event.preventDefault()
      this.form.submit()
    })
    // Escape fires "cancel". Closing without acting would leave the countdown running
    // unseen, so Escape means "Stay signed in" (or "Close" for the absolute limit).
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault()
      if (this.absolute) this.dismiss()
      else this.staySignedIn()
    })

    this.channel = null
    if ('BroadcastChannel' in window) {
      this.channel = new BroadcastChannel(CHANNEL_NAME)
      this.channel.addEventListener('message', (event) => this.otherTabActive(event.data))
      this.broadcast() // this page load restarted the server's idle clock
    }
    document.addEventListener('visibilitychange', () => this.tick())
    this.timer = window.setInterval(() => this.tick(), TICK_MS)
  }

  tick () {
    const now = Date.now()
    const absoluteFirst = this.absoluteDeadline <= this.idleDeadline
    const remainingMs = Math.min(this.absoluteDeadline, this.idleDeadline) - now
    if (remainingMs <= 0) {
      this.signOut()
      return
    }
    if (remainingMs > this.warningMs || (absoluteFirst && this.absoluteDismissed)) {
      // Not (or no longer, if another tab kept the session alive) time to warn.
      if (this.dialog.open) this.close()
      return
    }
    this.setLimit(absoluteFirst)
    if (!this.dialog.open) this.open()
    this.updateCountdown(Math.ceil(remainingMs / 1000))
  }

  setLimit (absolute) {
    this.absolute = absolute
    show(this.absoluteMessage, absolute)
    show(this.stayButton, !absolute)
    show(this.closeButton, absolute)
  }

  open () {
    this.returnFocusTo = document.activeElement
    this.announcedBucket = null
    show(this.error, false)
    this.dialog.showModal()
    this.heading.focus()
  }

  close () {
    this.dialog.close()
    // Browsers differ in where focus goes when a dialog closes; put it back where it was.
    if (this.returnFocusTo && this.returnFocusTo.isConnected) this.returnFocusTo.focus()
    this.returnFocusTo = null
  }

  dismiss () {
    this.absoluteDismissed = true
    this.close()
  }

  updateCountdown (seconds) {
    this.countdown.textContent = describe(seconds)
    // Announce on opening and then on entering each 20-second step, which on time is a
    // round figure: "2 minutes", "1 minute 40 seconds", ... "20 seconds".
    const bucket = Math.ceil(seconds / ANNOUNCE_EVERY_SECONDS)
    if (bucket !== this.announcedBucket) {
      this.announcedBucket = bucket
      this.announcement.textContent = `For your security, we will sign you out in ${describe(seconds)}.`
    }
  }

  async staySignedIn () {
    if (this.extending) return
    this.extending = true
    try {
      const response = await fetch(this.extendUrl, {
        method: 'POST',
        credentials: 'same-origin',
        // A redirect means a middleware stopped the request (for example, the absolute
        // limit passed): do not follow it and mistake the page it leads to for success.
        redirect: 'manual',
        headers: { 'X-CSRFToken': this.form.elements.csrfmiddlewaretoken.value }
      })
      if (response.status === 204) {
        this.idleDeadline = Date.now() + this.idleMs
        this.broadcast()
        this.close()
      } else if (response.status === 401 || response.type === 'opaqueredirect') {
        this.signOut() // the session has already ended
      } else {
        show(this.error, true)
      }
    } catch {
      show(this.error, true) // offline: the countdown carries on, so they can try again
    } finally {
      this.extending = false
    }
  }

  signOut () {
    // Time is up: post the form to the timed-out page (which signs out what is left of the
    // session and shows itself) rather than to allauth's sign-out, which would not say why.
    window.clearInterval(this.timer)
    this.form.action = this.timedOutUrl
    this.form.submit()
  }

  broadcast () {
    if (!this.channel) return
    this.channel.postMessage({ idleDeadline: this.idleDeadline, absoluteDeadline: this.absoluteDeadline })
  }

  otherTabActive ({ idleDeadline, absoluteDeadline }) {
    if (idleDeadline <= this.idleDeadline) return
    this.idleDeadline = idleDeadline
    // The newest page has the server's latest word on the absolute limit too. Pages of one
    // session differ only by network delays; a jump means the person signed in again in
    // another tab, and the new limit deserves its own warning.
    if (absoluteDeadline - this.absoluteDeadline > this.warningMs) this.absoluteDismissed = false
    this.absoluteDeadline = absoluteDeadline
    this.tick()
  }
}

const dialog = document.getElementById('session-timeout-warning')
if (dialog && typeof dialog.showModal === 'function') {
  new SessionTimeoutWarning(dialog)
}
