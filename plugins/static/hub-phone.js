/* Charts at phone width: a Vega-Lite spec redrawn to fit a narrow screen.
 *
 * hubFitSpec(spec, width) returns a copy of spec whose views fit `width` pixels: fixed widths become
 * the width left beside the axis labels, side-by-side views (hconcat, facet columns) are stacked,
 * legends go below the plot, long titles wrap, and labels keep a readable size. Used by the canned
 * query pages (templates/_hub_chart.html) and, on a narrow screen, by the home page, which then
 * draws each finding's chart from its query's rows instead of showing the desktop figure.
 */
(function () {
  var PHONE = 600;          // below this window width, charts are fitted
  var LABEL_ALLOWANCE = 150; // room for the y axis labels and the chart's padding
  var LABEL_LIMIT = 110;     // longest axis label, in pixels (longer ones end in an ellipsis)

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  function wrap(text, limit) {
    if (typeof text !== "string" || text.length <= limit) return text;
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > limit) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) lines.push(line);
    return lines;
  }

  function fitView(view, width, titleChars) {
    if (!view || typeof view !== "object") return;
    if (view.hconcat) { view.vconcat = view.hconcat; delete view.hconcat; }
    if (view.facet && view.facet.column) { view.facet.row = view.facet.column; delete view.facet.column; }
    if (view.columns) delete view.columns;
    if (typeof view.width === "number" || (view.width && view.width.step)) view.width = width;
    if (view.title) {
      var limit = titleChars;
      if (typeof view.title === "string") view.title = {text: wrap(view.title, limit)};
      else if (typeof view.title.text === "string") view.title.text = wrap(view.title.text, limit);
      if (view.title.subtitle) view.title.subtitle = wrap(view.title.subtitle, limit + 8);
    }
    var enc = view.encoding || {};
    Object.keys(enc).forEach(function (channel) {
      var e = enc[channel];
      if (e && e.legend) {
        e.legend.orient = "bottom"; delete e.legend.direction; delete e.legend.columns;
        if (e.legend.labelLimit) e.legend.labelLimit = Math.min(e.legend.labelLimit, width);
      }
      if (e && e.axis && e.axis.labelLimit) e.axis.labelLimit = Math.min(e.axis.labelLimit, LABEL_LIMIT);
      // an axis title longer than its axis: on lines of the axis's length
      if (e && typeof e.title === "string" && channel === "x") e.title = wrap(e.title, Math.floor(width / 6.5));
      if (e && e.axis && e.axis.labelAngle === 0 && channel === "x") e.axis.labelOverlap = true;
    });
    if (view.mark && (view.mark === "text" || view.mark.type === "text")) {
      // a sentence drawn as a text mark: broken at its semicolons, cut at the width
      view.mark = Object.assign({}, typeof view.mark === "string" ? {type: "text"} : view.mark,
        {limit: width, lineBreak: "; ", fontSize: 11});
    }
    ["layer", "vconcat", "concat"].forEach(function (key) {
      (view[key] || []).forEach(function (sub) { fitView(sub, width, titleChars); });
    });
    if (view.spec) fitView(view.spec, width, titleChars);
  }

  window.hubIsPhone = function () { return window.innerWidth < PHONE; };

  window.hubFitSpec = function (spec, available, allowance) {
    var fitted = clone(spec);
    var width = Math.max(100, Math.floor(available) - (allowance || LABEL_ALLOWANCE));
    fitView(fitted, width, Math.max(24, Math.floor(available / 7.5)));
    var config = fitted.config || (fitted.config = {});
    config.legend = Object.assign({}, config.legend, {
      orient: "bottom", direction: "horizontal", columns: 2, labelFontSize: 11, titleFontSize: 11,
      labelLimit: Math.floor(width / 2) + 40, symbolSize: 80
    });
    config.axis = Object.assign({}, config.axis, {labelFontSize: 11, titleFontSize: 11, labelLimit: LABEL_LIMIT});
    config.header = Object.assign({}, config.header, {labelFontSize: 11, titleFontSize: 11});
    config.title = Object.assign({}, config.title, {fontSize: 13, anchor: "start"});
    return fitted;
  };

  // Draw spec with rows into target, fitted to its width: drawn once, measured, and drawn again
  // narrower by what the labels and legends took beyond the room left for them.
  window.hubEmbedFitted = function (target, spec, rows, options) {
    var parent = target.parentElement, style = getComputedStyle(parent);
    var available = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    function draw(allowance, tries) {
      var fitted = window.hubFitSpec(spec, available, allowance);
      fitted.data = {values: rows};
      return vegaEmbed(target, fitted, options).then(function (result) {
        // the right edge of the chart or of the embed's box (with vega-embed's actions button),
        // whichever is further, against the right edge of the room the parent gives
        var svg = target.querySelector("svg.marks");
        var right = Math.max(target.getBoundingClientRect().right, svg ? svg.getBoundingClientRect().right : 0);
        var room = parent.getBoundingClientRect().left + parseFloat(style.paddingLeft) + available;
        var over = Math.ceil(right - room);
        if (over > 0 && tries > 0) { result.finalize(); return draw(allowance + over + 4, tries - 1); }
        return result;
      });
    }
    return draw(LABEL_ALLOWANCE, 3);
  };

  // vega, vega-lite and vega-embed, loaded one after the other (only where a chart is redrawn).
  window.hubLoadVega = function (then) {
    var files = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"];
    (function next() {
      if (!files.length) return then();
      var script = document.createElement("script");
      script.src = "/assets/vega/" + files.shift();
      script.onload = next;
      document.head.appendChild(script);
    })();
  };

  // The home page on a narrow screen: each finding's figure redrawn from its query's rows.
  window.hubDrawPhoneFigures = function () {
    if (!window.hubIsPhone() || !window.vegaEmbed) return;
    document.querySelectorAll("[data-hub-chart-query]").forEach(function (box) {
      var spec = JSON.parse(box.querySelector("script[type='application/json']").textContent);
      var target = box.querySelector(".hub-phone-chart");
      fetch("/hub/" + box.getAttribute("data-hub-chart-query") + ".json?_shape=array")
        .then(function (r) { return r.json(); })
        .then(function (rows) {
          return window.hubEmbedFitted(target, spec, rows, {renderer: "svg", actions: false});
        })
        .then(function () { var img = box.querySelector("img"); if (img) img.hidden = true; })
        .catch(function () { /* the figure stays */ });
    });
  };
})();
