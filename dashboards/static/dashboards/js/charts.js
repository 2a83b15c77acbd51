// Charts for the public dashboard, drawn with Chart.js (window.Chart, loaded by a plain <script>
// before this module).
//
// Every chart is an enhancement: the server renders a GOV.UK table of the same figures, a text
// summary and the canvas's accessible name (role="img" + aria-label) beside it, so if this file
// or Chart.js fails to load nothing is lost. Each <canvas data-chart="ID"> names the
// {{ data|json_script:"ID" }} block holding its spec (built in dashboards/views.py):
//
//   { kind: 'line' | 'bar' | 'scatter', labels: [...],
//     series: [{ label, role, values: [number|null], pointsOnly?: true }],
//     highlight: index|null, reference: index|null, axisTitle,
//     format: { prefix, suffix, decimals },
//     x?: [number], xAxisTitle?, xFormat? }          (scatter only)
//
// In a bar chart, highlight is the selected area's bar and reference is England's. A line
// series with pointsOnly is drawn as points without a line (the restricted dashboards'
// published annual figures beside the monthly timely line). A scatter chart puts each place
// (labels) at (x: a measure of local context, values: the indicator); highlight is the
// chosen place. It has no trend line: local context explains, it sets no expected figure.
//
// On a phone nothing is clipped: long local authority names are shortened with an ellipsis
// (the tooltip and the table give them in full), year labels are thinned rather than turned,
// and axes carry fewer ticks.
//
// The content security policy allows no inline scripts or style attributes. Data comes from the
// non-executed JSON blocks; sizes are set through the CSSOM (element.style), which style-src
// does not govern.
//
// Each chart gets a "Download chart as image" button (a PNG from Chart.js's toBase64Image, on
// a white background so it reads in documents and slides). The file is named by the canvas's
// data-download (indicator, area and section), else its data block's id.
//
// Colour is never the only cue (WCAG 1.4.1): each series also has its own line dash and point
// shape, lines carry their name at their last point, and the selected local authority's bar is
// hatched, named in bold with a marker and labelled with its value.

const Chart = window.Chart

// GOV.UK palette colours with at least 3:1 contrast on white (WCAG 1.4.11).
const TEXT = '#0b0c0c'
const GRID = '#b1b4b6'
const SERIES_STYLES = {
  timely: { colour: '#00703c', dash: [], point: 'circle', width: 4 },
  la: { colour: '#1d70b8', dash: [], point: 'circle', width: 4 },
  region: { colour: '#912b88', dash: [2, 3], point: 'triangle', width: 3 },
  england: { colour: '#0b0c0c', dash: [8, 4], point: 'rect', width: 3 },
  neighbours: { colour: '#505a5f', dash: [12, 4, 2, 4], point: 'rectRot', width: 3 }
}
const BAR_COLOUR = '#505a5f'
const HIGHLIGHT_COLOUR = '#1d70b8'
const REFERENCE_COLOUR = '#0b0c0c'
// The service's font stack (frontend/scss/app.scss); canvas text does not inherit CSS fonts.
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
const BAR_HEIGHT_PX = 18
const BAR_CHART_PADDING_PX = 80
const LINE_LABEL_GAP_PX = 16
// Below this width direct labels would squeeze the plot: the legend alone names the lines.
const NARROW_PX = 600
const LABEL_FONT = `bold 14px ${FONT_FAMILY}`
const NARROW_NAME_PX = 12

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)')

/** "22.6%", "£1,234", "67": a value as the tables show it. */
function formatter (format) {
  const numberFormat = new Intl.NumberFormat('en-GB', {
    minimumFractionDigits: format.decimals,
    maximumFractionDigits: format.decimals
  })
  return (value) => value === null || value === undefined
    ? 'not available'
    : `${format.prefix}${numberFormat.format(value)}${format.suffix}`
}

/** Diagonal white stripes over the highlight colour: the selected bar differs in texture too. */
function hatch () {
  const tile = document.createElement('canvas')
  tile.width = tile.height = 8
  const context = tile.getContext('2d')
  context.fillStyle = HIGHLIGHT_COLOUR
  context.fillRect(0, 0, 8, 8)
  context.strokeStyle = '#ffffff'
  context.lineWidth = 2
  context.beginPath()
  context.moveTo(0, 8)
  context.lineTo(8, 0)
  context.moveTo(-2, 2)
  context.lineTo(2, -2)
  context.moveTo(6, 10)
  context.lineTo(10, 6)
  context.stroke()
  return context.createPattern(tile, 'repeat')
}

const measuring = document.createElement('canvas').getContext('2d')

/** How wide ``text`` is drawn in ``font`` (the label font unless given), in pixels. */
function textWidth (text, font = LABEL_FONT) {
  measuring.font = font
  return measuring.measureText(text).width
}

/** ``text``, shortened with an ellipsis to fit ``width`` pixels in ``font``. */
function fit (text, width, font = LABEL_FONT) {
  if (textWidth(text, font) <= width) return text
  let shown = text
  while (shown.length > 1 && textWidth(`${shown}…`, font) > width) shown = shown.slice(0, -1)
  return `${shown.trimEnd()}…`
}

/** Fewer ticks on a narrow chart, so tick labels never overlap. */
function tickLimit (canvas) {
  return canvas.parentElement.clientWidth < NARROW_PX ? 4 : 6
}

/** Direct labels: each line's name beside its last drawn point, nudged apart so none overlap. */
const lineEndLabels = {
  id: 'lineEndLabels',
  afterDatasetsDraw (chart) {
    const { ctx, chartArea } = chart
    if (chart.width < NARROW_PX) return
    const labels = []
    chart.data.datasets.forEach((dataset, index) => {
      const meta = chart.getDatasetMeta(index)
      // Points without a line (published annual figures) are named by the legend alone.
      if (!chart.isDatasetVisible(index) || dataset.showLine === false) return
      const last = meta.data.findLast((point) => !point.skip)
      if (last) labels.push({ text: dataset.label, colour: dataset.borderColor, x: last.x, y: last.y })
    })
    labels.sort((a, b) => a.y - b.y)
    labels.forEach((label, index) => {
      if (index > 0) label.y = Math.max(label.y, labels[index - 1].y + LINE_LABEL_GAP_PX)
    })
    ctx.save()
    ctx.font = LABEL_FONT
    ctx.textBaseline = 'middle'
    for (const label of labels) {
      ctx.fillStyle = label.colour
      ctx.fillText(label.text, Math.min(label.x + 8, chartArea.right + 8), label.y)
    }
    ctx.restore()
  }
}

/** A white background under everything drawn: a canvas is transparent, and so would be the PNG. */
const whiteBackground = {
  id: 'whiteBackground',
  beforeDraw (chart) {
    const { ctx } = chart
    ctx.save()
    ctx.globalCompositeOperation = 'destination-over'
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, chart.width, chart.height)
    ctx.restore()
  }
}

/** The selected local authority's value written at the end of its bar. */
const highlightValueLabel = {
  id: 'highlightValueLabel',
  afterDatasetsDraw (chart, args, options) {
    if (options.index === null || options.index === undefined) return
    const bar = chart.getDatasetMeta(0).data[options.index]
    const value = chart.data.datasets[0].data[options.index]
    if (!bar || value === null) return
    const { ctx } = chart
    ctx.save()
    ctx.font = LABEL_FONT
    ctx.fillStyle = TEXT
    ctx.textBaseline = 'middle'
    ctx.fillText(options.format(value), bar.x + 6, bar.y)
    ctx.restore()
  }
}

/** Options every chart shares: no animation for those who prefer reduced motion. */
function commonOptions (format) {
  return {
    responsive: true,
    animation: reducedMotion.matches ? false : { duration: 400 },
    plugins: {
      legend: {
        position: 'top',
        align: 'start',
        labels: { usePointStyle: true, color: TEXT, padding: 16 }
      },
      tooltip: {
        callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw)}` }
      }
    }
  }
}

/** The axis of the figures: from zero, titled with the unit, ticks formatted as the tables. */
function valueAxis (spec, format) {
  return {
    beginAtZero: true,
    title: { display: Boolean(spec.axisTitle), text: spec.axisTitle, color: TEXT },
    ticks: { color: TEXT, maxTicksLimit: 6, callback: (value) => format(value) },
    grid: { color: GRID }
  }
}

function lineChart (canvas, spec, format) {
  const options = commonOptions(format)
  options.scales = {
    // Years are thinned, not turned, when they do not all fit.
    x: { ticks: { color: TEXT, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 }, grid: { display: false } },
    y: valueAxis(spec, format)
  }
  options.scales.y.ticks.maxTicksLimit = tickLimit(canvas)
  // Room on the right for the longest direct label; a taller shape on a phone.
  const labelRoom = Math.max(...spec.series.map((series) => textWidth(series.label))) + 16
  options.layout = {
    padding: { right: (context) => context.chart.width < NARROW_PX ? 0 : labelRoom }
  }
  options.aspectRatio = canvas.parentElement.clientWidth < NARROW_PX ? 1.2 : 2
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: spec.labels,
      datasets: spec.series.map((series) => {
        const style = SERIES_STYLES[series.role] ?? SERIES_STYLES.england
        return {
          label: series.label,
          data: series.values,
          borderColor: style.colour,
          backgroundColor: style.colour,
          borderDash: style.dash,
          borderWidth: style.width,
          pointStyle: style.point,
          showLine: !series.pointsOnly,
          pointRadius: series.pointsOnly ? 7 : 4,
          pointHoverRadius: 7,
          // A suppressed year is a gap, not a line drawn through a guess.
          spanGaps: false
        }
      })
    },
    options,
    plugins: [whiteBackground, lineEndLabels]
  })
}

function barColour (index, highlight, reference, pattern) {
  if (index === highlight) return pattern
  return index === reference ? REFERENCE_COLOUR : BAR_COLOUR
}

function barChart (canvas, spec, format) {
  const { highlight, reference } = spec
  // Many bars need a tall chart: size the wrapper through the CSSOM and let Chart.js fill it.
  canvas.parentElement.style.height = `${spec.labels.length * BAR_HEIGHT_PX + BAR_CHART_PADDING_PX}px`
  const options = commonOptions(format)
  options.indexAxis = 'y'
  options.maintainAspectRatio = false
  const names = spec.labels.map((label, index) => index === highlight ? `▶ ${label}` : label)
  // On a phone the names are drawn smaller, so fewer are shortened and the bars keep some room.
  const nameSize = (chart) => chart.width < NARROW_PX ? NARROW_NAME_PX : 14
  const nameFont = (chart) => `bold ${nameSize(chart)}px ${FONT_FAMILY}`
  const namesWidth = {}
  // Chart.js caps a vertical axis at a fraction of the chart and clips longer names; give the
  // names the room they need (measured once per size), up to just over half the width, or a
  // little more if the chosen place's name needs it: that one is never the name shortened.
  const namesRoom = (chart) => {
    const font = nameFont(chart)
    namesWidth[font] ??= {
      all: Math.max(...names.map((name) => textWidth(name, font))) + 12,
      chosen: highlight === null ? 0 : textWidth(names[highlight], font) + 12
    }
    const { all, chosen } = namesWidth[font]
    return Math.min(all, Math.max(chart.width * 0.55, Math.min(chosen, chart.width * 0.65)))
  }
  options.scales = {
    x: { ...valueAxis(spec, format), position: 'top' },
    y: {
      grid: { display: false },
      afterFit: (scale) => { scale.width = namesRoom(scale.chart) },
      ticks: {
        color: TEXT,
        autoSkip: false,
        font: (context) => ({
          size: nameSize(context.chart),
          weight: context.index === highlight || context.index === reference ? 'bold' : 'normal'
        }),
        // A name too long for its room is shortened; the tooltip gives it in full.
        callback: function (value, index) {
          return fit(names[index], namesRoom(this.chart) - 12, nameFont(this.chart))
        }
      }
    }
  }
  // Figures are thinned, not turned, when they do not all fit.
  options.scales.x.ticks.maxRotation = 0
  options.scales.x.ticks.maxTicksLimit = tickLimit(canvas)
  options.plugins.legend.display = spec.series.length > 1
  options.plugins.highlightValueLabel = { index: highlight, format }
  // Room after the bars for the chosen place's figure, and no more.
  const highlighted = highlight === null ? null : spec.series[0].values[highlight]
  const valueRoom = highlighted === null || highlighted === undefined
    ? 12
    : textWidth(format(highlighted)) + 12
  options.layout = { padding: { right: valueRoom } }
  const pattern = hatch()
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: spec.labels,
      datasets: spec.series.map((series) => ({
        label: series.label,
        data: series.values,
        backgroundColor: series.values.map((_, index) => barColour(index, highlight, reference, pattern)),
        borderColor: series.values.map((_, index) => barColour(index, highlight, reference, HIGHLIGHT_COLOUR)),
        borderWidth: series.values.map((_, index) => index === highlight ? 2 : 0)
      }))
    },
    options,
    plugins: [whiteBackground, highlightValueLabel]
  })
}

/** A button under the chart that saves it as a PNG; its accessible name says which chart. */
function addDownloadButton (canvas, chart) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'govuk-button govuk-button--secondary'
  button.textContent = 'Download chart as image (PNG)'
  const heading = canvas.closest('section')?.querySelector('h2')?.textContent.trim()
  if (heading) {
    const which = document.createElement('span')
    which.className = 'govuk-visually-hidden'
    which.textContent = `: ${heading}`
    button.append(which)
  }
  button.addEventListener('click', () => {
    const link = document.createElement('a')
    link.href = chart.toBase64Image('image/png', 1)
    link.download = `${canvas.dataset.download || canvas.dataset.chart}.png`
    document.body.append(link)
    link.click()
    link.remove()
  })
  canvas.parentElement.after(button)
}

/** The chosen place's name beside its point (the first dataset), on a white halo so the
 * points around it do not hide it, and kept inside the chart area. */
const highlightPointLabel = {
  id: 'highlightPointLabel',
  afterDatasetsDraw (chart, args, options) {
    if (!options.name) return
    const point = chart.getDatasetMeta(0).data[0]
    if (!point) return
    const { ctx, chartArea } = chart
    const text = fit(options.name, chartArea.width / 2)
    const width = textWidth(text)
    const x = point.x + 14 + width > chartArea.right ? point.x - 14 - width : point.x + 14
    ctx.save()
    ctx.font = LABEL_FONT
    ctx.textBaseline = 'middle'
    ctx.lineJoin = 'round'
    ctx.lineWidth = 4
    ctx.strokeStyle = '#ffffff'
    ctx.strokeText(text, x, point.y)
    ctx.fillStyle = TEXT
    ctx.fillText(text, x, point.y)
    ctx.restore()
  }
}

function scatterChart (canvas, spec, format) {
  const xFormat = formatter(spec.xFormat)
  const { highlight } = spec
  const points = spec.labels.map((name, index) => ({
    x: spec.x[index], y: spec.series[0].values[index], name
  }))
  const chosen = highlight === null ? null : points[highlight]
  const options = commonOptions(format)
  options.aspectRatio = canvas.parentElement.clientWidth < NARROW_PX ? 1 : 2
  options.scales = {
    x: {
      type: 'linear',
      title: { display: true, text: spec.xAxisTitle, color: TEXT },
      ticks: { color: TEXT, maxTicksLimit: tickLimit(canvas), callback: (value) => xFormat(value) },
      grid: { color: GRID }
    },
    y: valueAxis(spec, format)
  }
  options.scales.y.ticks.maxTicksLimit = tickLimit(canvas)
  options.plugins.tooltip.callbacks = {
    label: (item) => `${item.raw.name}: ${format(item.raw.y)}; child poverty ${xFormat(item.raw.x)}`
  }
  options.plugins.highlightPointLabel = { name: chosen ? chosen.name : '' }
  // Chart.js draws the first dataset on top: the chosen place goes first.
  const datasets = [{
    label: chosen ? 'Other local authorities' : 'Local authorities',
    data: points.filter((_, index) => index !== highlight),
    backgroundColor: BAR_COLOUR,
    borderColor: '#ffffff',
    borderWidth: 1,
    pointStyle: 'circle',
    pointRadius: 4,
    pointHoverRadius: 6
  }]
  if (chosen) {
    datasets.unshift({
      label: chosen.name,
      data: [chosen],
      backgroundColor: HIGHLIGHT_COLOUR,
      borderColor: TEXT,
      borderWidth: 2,
      pointStyle: 'rectRot',
      pointRadius: 9,
      pointHoverRadius: 10
    })
  }
  return new Chart(canvas, {
    type: 'scatter',
    data: { datasets },
    options,
    plugins: [whiteBackground, highlightPointLabel]
  })
}

const CHARTS = { bar: barChart, line: lineChart, scatter: scatterChart }

function draw (canvas) {
  const source = document.getElementById(canvas.dataset.chart)
  if (!source) return
  const spec = JSON.parse(source.textContent)
  const format = formatter(spec.format)
  const chart = (CHARTS[spec.kind] ?? lineChart)(canvas, spec, format)
  addDownloadButton(canvas, chart)
  return chart
}

if (Chart) {
  Chart.defaults.font.family = FONT_FAMILY
  Chart.defaults.font.size = 14
  Chart.defaults.color = TEXT
  document.querySelectorAll('canvas[data-chart]').forEach(draw)
}
