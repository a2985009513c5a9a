/* Search: finds every page of this language that contains each word typed.

   Pagefind splits Chinese text into words one way when it builds the index and another way
   in the browser, so a word such as 開放 inside 資料開放 can go unfound (Pagefind 1.5.2). We
   therefore ask Pagefind for the pages holding every character of the Chinese words, then keep
   the pages whose text contains each word as typed (臺 and 台 folded, case ignored). English
   words are left to Pagefind, which also matches their other forms (apply, application). */
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var region = document.querySelector("[data-results]");
  var status = document.querySelector("[data-status]");
  var list = region.querySelector("[data-list]");
  var more = region.querySelector("[data-more]");
  var BATCH = 20;
  var HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
  var pagefind = null;
  var current = null;

  function fold(text) {
    return text.normalize("NFKC").toLowerCase().replace(/台/g, "臺");
  }
  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function words(query) {
    return query.trim().split(/\s+/).filter(Boolean);
  }
  function pagefindQuery(terms) {
    // every Chinese character on its own; other text as typed
    return terms.map(function (term) {
      return term.replace(/[\u3400-\u9fff\uf900-\ufaff]/g, function (c) { return " " + c + " "; });
    }).join(" ").replace(/\s+/g, " ").trim();
  }
  function holds(data, terms) {
    var text = fold(data.meta.title + " " + data.content);
    return terms.every(function (term) { return !HAN.test(term) || text.indexOf(fold(term)) !== -1; });
  }
  function excerpt(data, terms) {
    // the words plansite adds for the index follow a ⁂ (plansite/search.py): never quote them
    var text = data.content.split("\u2042")[0];
    var folded = fold(text);
    // quote the words as typed together if the page has them so, else the first word found
    var phrase = terms.join(" ");
    var at = folded.indexOf(fold(phrase));
    var length = phrase.length;
    if (at === -1) {
      terms.forEach(function (term) {
        var where = folded.indexOf(fold(term));
        if (where !== -1 && (at === -1 || where < at)) { at = where; length = term.length; }
      });
    }
    var item = document.createElement("p");
    item.className = "ps-results__excerpt";
    if (at === -1) { item.textContent = text.slice(0, 90) + (text.length > 90 ? "…" : ""); return item; }
    var start = Math.max(0, at - 40);
    var end = Math.min(text.length, at + length + 50);
    item.appendChild(document.createTextNode((start > 0 ? "…" : "") + text.slice(start, at)));
    var mark = document.createElement("mark");
    mark.textContent = text.slice(at, at + length);
    item.appendChild(mark);
    item.appendChild(document.createTextNode(text.slice(at + length, end) + (end < text.length ? "…" : "")));
    return item;
  }
  function show(data, terms) {
    var item = document.createElement("li");
    item.className = "ps-results__item";
    var heading = document.createElement("p");
    heading.className = "ps-results__title";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = data.meta.title;
    link.title = data.meta.title;
    heading.appendChild(link);
    item.appendChild(heading);
    item.appendChild(excerpt(data, terms));
    list.appendChild(item);
  }

  // Check candidates in batches until a batch of results is shown or none are left.
  async function next(search) {
    var shown = 0;
    while (search.position < search.candidates.length && shown < BATCH) {
      var batch = search.candidates.slice(search.position, search.position + BATCH);
      search.position += batch.length;
      var loaded = await Promise.all(batch.map(function (result) { return result.data(); }));
      if (search !== current) { return; }
      loaded.forEach(function (data) {
        if (holds(data, search.terms)) { show(data, search.terms); shown += 1; search.found += 1; }
      });
    }
    var done = search.position >= search.candidates.length;
    more.hidden = done;
    var values = { count: search.found, query: search.query };
    status.textContent = say(form.getAttribute(
      search.found === 0 && done ? "data-none" : done ? "data-found" : "data-partial"), values);
    region.setAttribute("data-done", String(done));
  }

  async function run(query) {
    var terms = words(query);
    list.textContent = "";
    more.hidden = true;
    region.hidden = false;
    region.removeAttribute("data-done");
    status.textContent = form.getAttribute("data-searching");
    var search = { query: query.trim(), terms: terms, candidates: [], position: 0, found: 0 };
    current = search;
    try {
      if (!pagefind) {
        // a big site's index comes in shards (plansite/search.py): the first is the main bundle
        // relative to this page, so the site works in any folder of its server
        var bundle = new URL(form.getAttribute("data-bundle"), document.baseURI).href;
        var base = new URL(form.getAttribute("data-base"), document.baseURI).pathname;
        var loaded = await import(bundle + "pagefind.js");
        await loaded.options({ baseUrl: base });
        var shards = await (await fetch(bundle + "shards.json")).json();
        for (var i = 0; i < shards.length; i += 1) {
          await loaded.mergeIndex(bundle + shards[i], { baseUrl: base });
        }
        pagefind = loaded;
      }
      var found = await pagefind.search(pagefindQuery(terms));
      if (search !== current) { return; }
      search.candidates = found.results;
      await next(search);
    } catch (error) {
      status.textContent = form.getAttribute("data-failed");
      region.setAttribute("data-done", "true");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value;
    if (!words(query).length) { input.focus(); return; }
    var address = new URL(window.location.href);
    address.searchParams.set("q", query.trim());
    window.history.replaceState(null, "", address);
    run(query);
  });
  more.addEventListener("click", function () { if (current) { next(current); } });

  var asked = new URLSearchParams(window.location.search).get("q");
  if (asked && words(asked).length) {
    input.value = asked;
    run(asked);
  }
})();
