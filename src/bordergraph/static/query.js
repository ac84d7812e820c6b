// Set up the vendored YASGUI: the local endpoint only, example tabs and a searchable gallery, the
// project prefixes, no autocompleter that would call another host (LOV, prefix.cc); result IRIs
// of the namespace link to this site's pages, named by their labels; literals shown plainly; errors in words; elapsed
// time and a Cancel button (YASQE's AbortController) while a query runs; the URL follows the query.
(function () {
  "use strict";
  var tabs = JSON.parse(document.getElementById("bg-tabs").textContent);
  var prefixes = JSON.parse(document.getElementById("bg-prefixes").textContent);
  var base = JSON.parse(document.getElementById("bg-base").textContent);
  var endpoint = new URL("/sparql", window.location.href).href;
  var Yasqe = Yasgui.Yasqe;
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var PARTIAL = { gYear: "year only", gYearMonth: "year and month only", gMonthDay: "month and day only",
                  gMonth: "month only", gDay: "day only" };
  var PLAIN = { string: 1, date: 1, decimal: 1, integer: 1, double: 1, float: 1, boolean: 1, dateTime: 1 };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function compact(iri) {
    var best = "";
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      if (iri.indexOf(ns) === 0 && ns.length > (prefixes[best] || "").length) best = p;
    });
    return best ? best + ":" + iri.substring(prefixes[best].length) : iri;
  }
  // Namespace IRIs are served by this site: link to the page with the quotes, never off-site.
  function localHref(iri) {
    return iri.indexOf(base) === 0 ? "/" + iri.substring(base.length) : iri;
  }

  // Result table: local links, plain literals, a row-number column wide enough for its numbers.
  var Table = Yasgui.Yasr.plugins.table;
  Table.prototype.getUriLinkFromBinding = function (binding) {
    var iri = binding.value, href = localHref(iri), local = href !== iri;
    return "<a class='iri" + (local ? " local" : " external") + "' href='" + escapeHtml(href) + "'" +
      (local ? " data-iri='" + escapeHtml(iri) + "'" : " target='_blank' rel='noopener noreferrer'") +
      " title='" + escapeHtml(iri) + "'>" + escapeHtml(compact(iri)) + "</a>";
  };
  Table.prototype.formatLiteral = function (binding) {
    var text = "<span class='value'>" + escapeHtml(binding.value) + "</span>", note = "";
    var lang = binding["xml:lang"];
    if (lang && lang.indexOf("en") !== 0) note = lang;
    if (binding.datatype && binding.datatype.indexOf(XSD) === 0) {
      var local = binding.datatype.substring(XSD.length);
      note = PARTIAL[local] || (PLAIN[local] ? "" : "xsd:" + local);
    } else if (binding.datatype && binding.datatype.indexOf("rdf:") !== 0 && !lang) {
      note = compact(binding.datatype);
    }
    return text + (note ? " <span class='lit-note'>" + escapeHtml(note) + "</span>" : "");
  };
  Table.prototype.getSizeFirstColumn = function () {
    var rows = (this.yasr.results && this.yasr.results.getBindings() || []).length;
    return String(rows).length * 10 + 16;
  };

  // Names instead of CURIEs: once a result page is on screen, the names of its local IRIs come
  // from /labels in one request per LABEL_BATCH IRIs (never one per cell), are remembered for the
  // next pages, and replace the link text; the CURIE stays in the title. Only the page changes:
  // the results (and their downloads) keep the IRIs. An IRI without a name keeps its CURIE.
  var LABEL_BATCH = 50;  // the server answers at most 100 IRIs a request
  var labelOf = {};  // IRI → name, or "" when the server has none
  function applyLabel(link) {
    var iri = link.getAttribute("data-iri"), name = labelOf[iri];
    if (name === undefined) return false;
    link.setAttribute("data-label-state", "done");
    if (name) {
      link.textContent = name;
      link.title = compact(iri);
      link.classList.add("labelled");
    }
    return true;
  }
  function labelLinks() {
    var waiting = {};
    document.querySelectorAll("#yasgui a.iri.local[data-iri]:not([data-label-state])").forEach(function (link) {
      if (applyLabel(link)) return;
      link.setAttribute("data-label-state", "pending");
      var iri = link.getAttribute("data-iri");
      (waiting[iri] = waiting[iri] || []).push(link);
    });
    var iris = Object.keys(waiting);
    for (var i = 0; i < iris.length; i += LABEL_BATCH) {
      fetchLabels(iris.slice(i, i + LABEL_BATCH), waiting);
    }
  }
  function fetchLabels(batch, waiting) {
    var url = "/labels?" + batch.map(function (iri) { return "iri=" + encodeURIComponent(iri); }).join("&");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { labels: {} }; })
      .catch(function () { return { labels: {} }; })  // the CURIEs stay: names are a convenience
      .then(function (body) {
        batch.forEach(function (iri) {
          labelOf[iri] = (body.labels && body.labels[iri]) || "";
          waiting[iri].forEach(applyLabel);
        });
      });
  }
  var labelTimer = null;
  new MutationObserver(function () {
    if (labelTimer === null) labelTimer = setTimeout(function () { labelTimer = null; labelLinks(); }, 0);
  }).observe(document.getElementById("yasgui"), { childList: true, subtree: true });

  // Errors: the server's JSON message, with line, column, the line itself and a hint; never raw JSON.
  var cancelled = false;
  Yasgui.Yasr.defaults.errorRenderers = [function (error) {
    var box = document.createElement("div");
    box.className = "bg-error";
    var body = null;
    try { body = JSON.parse(error.text); } catch (e) { body = null; }
    var title = document.createElement("p");
    title.className = "bg-error-title";
    if (cancelled) {
      title.textContent = "Query cancelled.";
    } else if (body && body.message) {
      title.textContent = body.message;
    } else if (/Failed to fetch|NetworkError/.test(error.text || "")) {
      title.textContent = "The server did not answer: is it still running?";
    } else {
      title.textContent = error.text || error.statusText || "The query failed.";
    }
    box.appendChild(title);
    if (body && body.excerpt) {
      var pre = document.createElement("pre");
      pre.className = "bg-error-excerpt";
      pre.textContent = body.excerpt;
      box.appendChild(pre);
    }
    return Promise.resolve(box);
  }];

  // Prefix completion from the project's own prefix map, never from prefix.cc.
  Yasqe.forkAutocompleter("prefixes", {
    name: "bordergraphPrefixes",
    persistenceId: null,
    get: function () {
      return Promise.resolve(Object.keys(prefixes).sort().map(function (p) { return p + ": <" + prefixes[p] + ">"; }));
    }
  }, true);
  // "property" and "class" query lov.linkeddata.es; "prefixes" may query prefix.cc.
  Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
    return name !== "property" && name !== "class" && name !== "prefixes";
  });
  Yasqe.defaults.value = Object.keys(prefixes).map(function (p) { return "PREFIX " + p + ": <" + prefixes[p] + ">"; }).join("\n") +
    "\n\nSELECT * WHERE {\n  ?s ?p ?o\n} LIMIT 10\n";
  Yasgui.Yasr.defaults.prefixes = prefixes;

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    persistenceId: null,
    populateFromUrl: true,
    autofocus: false
  });

  var byName = {};
  Object.keys(yasgui._tabs).forEach(function (id) { byName[yasgui._tabs[id].getName()] = id; });
  tabs.forEach(function (t) {
    if (byName[t.name]) return;
    var config = Yasgui.Tab.getDefaults();
    config.name = t.name;
    config.requestConfig = Object.assign({}, config.requestConfig, { endpoint: endpoint, method: "POST" });
    config.yasqe = Object.assign({}, config.yasqe, { value: t.query });
    byName[t.name] = yasgui.addTab(false, config);
  });

  // Elapsed time and Cancel while a query runs.
  var status = document.querySelector(".run-status");
  var elapsed = status.querySelector(".elapsed");
  var cancel = status.querySelector(".cancel-query");
  var timer = null, started = 0, running = null;
  function tick() { elapsed.textContent = "Running… " + ((Date.now() - started) / 1000).toFixed(1) + " s"; }
  function stop(text) {
    if (timer) clearInterval(timer);
    timer = null;
    running = null;
    cancel.hidden = true;
    elapsed.textContent = text;
    document.body.removeAttribute("data-query-running");
  }
  yasgui.on("query", function (_y, tab) {
    cancelled = false;
    running = tab;
    started = Date.now();
    cancel.hidden = false;
    tick();
    timer = setInterval(tick, 100);
    document.body.setAttribute("data-query-running", "true");
    // The URL follows the query (a link to this page reopens it).
    var query = tab.getYasqe().getValue();
    history.replaceState(null, "", window.location.pathname + "#query=" + encodeURIComponent(query));
  });
  yasgui.on("queryResponse", function () {
    var seconds = ((Date.now() - started) / 1000).toFixed(2);
    stop(cancelled ? "Cancelled after " + seconds + " s." : "Answered in " + seconds + " s.");
  });
  yasgui.on("queryAbort", function () {
    stop("Cancelled after " + ((Date.now() - started) / 1000).toFixed(2) + " s.");
  });
  cancel.addEventListener("click", function () {
    if (!running) return;
    cancelled = true;
    running.getYasqe().abortQuery();  // aborts the fetch through YASQE's AbortController
  });

  // The gallery: filter as you type; opening an example selects its tab.
  var filter = document.getElementById("gallery-filter");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".example-card"));
  var empty = document.querySelector(".gallery-empty");
  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute("data-text");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      card.hidden = !match;
      if (match) shown += 1;
    });
    empty.hidden = shown !== 0;
  });
  document.querySelectorAll(".open-example").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var id = byName[link.getAttribute("data-slug")];
      if (!id) return;
      event.preventDefault();
      yasgui.selectTabId(id);
      document.getElementById("yasgui").scrollIntoView();
    });
  });

  window.bordergraphYasgui = yasgui;
  document.body.setAttribute("data-yasgui-ready", String(Object.keys(yasgui._tabs).length));
})();
