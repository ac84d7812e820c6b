// Suggestions as you type, for every <form role="search"> with an input named q.
// Plain JavaScript, no library: the ARIA 1.2 combobox pattern (input + listbox of links).
// Suggestions come from the reconciliation service's suggest endpoint, which reads the same
// search index as /search; without JavaScript the form still submits to /search.
(function () {
  "use strict";
  var SUGGEST = "/reconcile/suggest/entity";
  var DELAY = 120; // ms after the last key before asking

  function words(text) {
    return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
  }

  // The name as text nodes, with the starts of words that match typed words in <mark>.
  function highlighted(name, typed) {
    var fragment = document.createDocumentFragment();
    var pattern = /[\p{L}\p{N}]+/gu;
    var at = 0;
    var match;
    var wanted = words(typed);
    while ((match = pattern.exec(name)) !== null) {
      var word = match[0].toLowerCase();
      var hit = wanted.filter(function (w) { return word.indexOf(w) === 0; })
        .reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
      if (!hit) continue;
      fragment.appendChild(document.createTextNode(name.slice(at, match.index)));
      var mark = document.createElement("mark");
      mark.textContent = name.substr(match.index, hit.length);
      fragment.appendChild(mark);
      at = match.index + hit.length;
    }
    fragment.appendChild(document.createTextNode(name.slice(at)));
    return fragment;
  }

  function setup(form, n) {
    var input = form.querySelector('input[name="q"]');
    if (!input) return;
    var list = document.createElement("ul");
    list.id = "search-suggestions-" + n;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    form.appendChild(list);
    form.classList.add("has-suggestions");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    var timer = 0;
    var asked = 0;
    var active = -1;
    var controller = null;

    function options() { return list.querySelectorAll('[role="option"]'); }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function show(results, typed) {
      list.replaceChildren();
      active = -1;
      results.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var a = document.createElement("a");
        a.href = "/id/" + encodeURIComponent(s.id);
        a.tabIndex = -1;
        var name = document.createElement("span");
        name.className = "name";
        name.appendChild(highlighted(s.name, typed));
        a.appendChild(name);
        if (s.description) {
          var what = document.createElement("span");
          what.className = "what";
          what.textContent = s.description;
          a.appendChild(what);
        }
        // Keep the focus in the input while the pointer presses a suggestion.
        a.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
        li.appendChild(a);
        list.appendChild(li);
      });
      var all = document.createElement("li");
      all.id = list.id + "-all";
      all.setAttribute("role", "option");
      all.setAttribute("aria-selected", "false");
      all.className = "all";
      var link = document.createElement("a");
      link.href = form.getAttribute("action") + "?q=" + encodeURIComponent(typed);
      link.tabIndex = -1;
      link.textContent = results.length ? "All results for “" + typed + "”" : "No names start so; search every word for “" + typed + "”";
      link.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
      all.appendChild(link);
      list.appendChild(all);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var typed = input.value.trim();
      if (!words(typed).length) { close(); return; }
      var mine = ++asked;
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(SUGGEST + "?prefix=" + encodeURIComponent(typed), {
        signal: controller.signal,
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { result: [] };
      }).then(function (data) {
        if (mine === asked && input.value.trim() === typed) show(data.result || [], typed);
      }).catch(function (err) {
        if (err.name !== "AbortError") close();
      });
    }

    function move(by) {
      var all = options();
      if (!all.length) return;
      if (active >= 0) all[active].setAttribute("aria-selected", "false");
      // Positions -1 (back in the input) … n-1, wrapping around at both ends.
      active = ((active + 1 + by + all.length + 1) % (all.length + 1)) - 1;
      if (active >= 0) {
        all[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", all[active].id);
        all[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { ev.preventDefault(); if (list.hidden) ask(); else move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
      else if (ev.key === "Escape") { close(); }
      else if (ev.key === "Enter" && active >= 0) {
        ev.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }

  document.querySelectorAll('form[role="search"]').forEach(setup);
})();
