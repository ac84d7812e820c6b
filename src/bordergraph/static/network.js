// Draw every .network element from the JSON next to it with the vendored cytoscape.js.
// Node fill = kind of thing, node border = country; clicking a node opens its page.
(function () {
  "use strict";
  document.querySelectorAll(".network[data-graph]").forEach(function (container) {
    var data = JSON.parse(document.getElementById(container.getAttribute("data-graph")).textContent);
    var cy = cytoscape({
      container: container,
      elements: data.nodes.concat(data.edges),
      style: [
        { selector: "node", style: {
            "background-color": "data(colour)", "border-color": "data(border)", "border-width": 3,
            "label": "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 140,
            "text-valign": "bottom", "text-margin-y": 3, "width": 18, "height": 18 } },
        { selector: "node[?centre]", style: { "width": 30, "height": 30, "font-size": 12, "font-weight": "bold" } },
        { selector: "edge", style: {
            "width": 1, "line-color": "#9aa4ad", "target-arrow-color": "#9aa4ad", "target-arrow-shape": "triangle",
            "arrow-scale": 0.7, "curve-style": "bezier", "label": "data(label)", "font-size": 7, "color": "#667",
            "text-rotation": "autorotate" } }
      ],
      layout: { name: "cose", animate: false, randomize: true, nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 70; } }
    });
    cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
    container.setAttribute("data-nodes", String(cy.nodes().length));
    container.setAttribute("data-ready", "1");
  });
})();
