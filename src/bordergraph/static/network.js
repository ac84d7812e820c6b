// Draw every .network element from the JSON next to it with the vendored cytoscape.js.
// Node fill = kind of thing, node border = country; link colour = kind of link (see the legend);
// clicking a node opens its page. The layout is deterministic: positions computed on the server
// (seeded) when given, else a concentric layout around the page's own node; no random layout.
(function () {
  "use strict";
  document.querySelectorAll(".network[data-graph]").forEach(function (container) {
    var data = JSON.parse(document.getElementById(container.getAttribute("data-graph")).textContent);
    var positioned = data.nodes.length > 0 && data.nodes.every(function (n) { return n.position; });
    var cy = cytoscape({
      container: container,
      elements: data.nodes.concat(data.edges),
      wheelSensitivity: 0.3,
      maxZoom: 1.2,  // a small neighbourhood is not blown up past its natural size when fitted
      style: [
        { selector: "node", style: {
            "background-color": "data(colour)", "border-color": "data(border)", "border-width": 3,
            "label": "data(label)", "font-size": 13, "text-wrap": "wrap", "text-max-width": 140,
            "text-valign": "bottom", "text-margin-y": 4, "width": 22, "height": 22, "color": "#1d232a",
            "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1,
            "min-zoomed-font-size": 7 } },
        { selector: "node[?centre]", style: { "width": 32, "height": 32, "font-size": 14, "font-weight": "bold" } },
        { selector: "edge", style: {
            "width": 2, "line-color": "data(colour)", "target-arrow-color": "data(colour)", "target-arrow-shape": "none",
            "curve-style": "bezier", "opacity": 0.8 } },
        { selector: "edge[?dashed]", style: { "line-style": "dashed", "width": 1.5 } },
        { selector: "edge[!colour]", style: { "line-color": "#9aa4ad", "target-arrow-color": "#9aa4ad",
            "target-arrow-shape": "triangle", "arrow-scale": 0.8, "label": "data(label)", "font-size": 10,
            "color": "#556", "text-rotation": "autorotate", "text-background-color": "#fff",
            "text-background-opacity": 0.8 } },
        { selector: "edge:selected, edge.hover", style: { "label": "data(title)", "font-size": 11, "width": 3, "opacity": 1,
            "text-background-color": "#fff", "text-background-opacity": 0.9, "text-rotation": "autorotate" } }
      ],
      layout: positioned ? { name: "preset", fit: true, padding: 20 }
        : { name: "concentric", fit: true, padding: 40, minNodeSpacing: 120, spacingFactor: 1.1, avoidOverlap: true,
            concentric: function (node) { return node.data("centre") ? 2 : 1; }, levelWidth: function () { return 1; } }
    });
    cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
    cy.on("mouseover", "edge", function (event) { event.target.addClass("hover"); });
    cy.on("mouseout", "edge", function (event) { event.target.removeClass("hover"); });
    container.bgCy = cy;  // for the browser tests, which measure the drawn labels
    container.setAttribute("data-nodes", String(cy.nodes().length));
    container.setAttribute("data-ready", "1");
  });
})();
