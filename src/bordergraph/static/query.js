// Set up the vendored YASGUI: the local endpoint only, example tabs, the project prefixes,
// and no autocompleter that would call another host (LOV, prefix.cc).
(function () {
  "use strict";
  var tabs = JSON.parse(document.getElementById("bg-tabs").textContent);
  var prefixes = JSON.parse(document.getElementById("bg-prefixes").textContent);
  var endpoint = new URL("/sparql", window.location.href).href;
  var Yasqe = Yasgui.Yasqe;

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

  // Results show IRIs with the project prefixes (xsd:date, bgr:...), even when a query omits them.
  Yasgui.Yasr.defaults.prefixes = prefixes;

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    persistenceId: null,
    populateFromUrl: true,
    autofocus: false
  });

  var existing = {};
  Object.keys(yasgui._tabs).forEach(function (id) { existing[yasgui._tabs[id].getName()] = true; });
  tabs.forEach(function (t) {
    if (existing[t.name]) return;
    var config = Yasgui.Tab.getDefaults();
    config.name = t.name;
    config.requestConfig = Object.assign({}, config.requestConfig, { endpoint: endpoint, method: "POST" });
    config.yasqe = Object.assign({}, config.yasqe, { value: t.query });
    yasgui.addTab(false, config);
  });
  window.bordergraphYasgui = yasgui;
  document.body.setAttribute("data-yasgui-ready", String(Object.keys(yasgui._tabs).length));
})();
