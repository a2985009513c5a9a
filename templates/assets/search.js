/* Search: finds every page of this language that contains each word typed, and links each
   result to the sections or actions where the words are.

   Pagefind splits Chinese text into words one way when it builds the index and another way
   in the browser, so a word such as 開放 inside 資料開放 can go unfound (Pagefind 1.5.2). We
   therefore ask Pagefind for the pages holding every character of the Chinese words, then keep
   the pages whose text contains each word as typed (臺 and 台 folded, case ignored). English
   words are left to Pagefind, which also matches their other forms (apply, application).

   Where a word is found, the result links to the nearest element with an id before it (a
   section's or group's heading, an action's table row), which Pagefind records as the page's
   anchors with their word positions. Every text written into the page is set as text, never
   as HTML: the site's CSP allows no inline script, and a page's content is never markup here. */
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-filter]"));
  var region = document.querySelector("[data-results]");
  var status = document.querySelector("[data-status]");
  var list = region.querySelector("[data-list]");
  var more = region.querySelector("[data-more]");
  var BATCH = 10;  // results shown at once: a phone loads ten pages' fragments, not the whole list
  var PLACES = 3;  // places quoted per page; the others are counted
  var HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
  // the passages plansite/languages.py marks: Chinese runs on English pages, English on Chinese
  var CHINESE_RUN = /[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]*/g;
  var ENGLISH_RUN = /[A-Za-z]{2,}(?:[ -][A-Za-z]{2,})+/g;
  var HEADING = /^h[1-6]$/i;
  var pageLang = document.documentElement.lang;
  var loading = null;
  var pagefind = null;
  var current = null;

  // offsets in the folded text must be offsets in the text: folded whole when that keeps the
  // length (nearly always, and quick on a phone), else one character at a time
  function fold(text) {
    var whole = text.normalize("NFKC").toLowerCase();
    if (whole.length === text.length) { return whole.replace(/台/g, "臺"); }
    return text.replace(/[\s\S]/g, function (c) {
      var folded = c.normalize("NFKC").toLowerCase();
      return folded.length === 1 ? folded.replace("台", "臺") : c;
    });
  }
  // counts are written as the page's language writes numbers (1,234), like the pages' own
  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      var value = values[key];
      return typeof value === "number" ? value.toLocaleString(document.documentElement.lang) : value;
    });
  }
  // a message of the form's, in its one form when the count is 1 (data-NAME-one)
  function message(name, values) {
    var one = values.count === 1 && form.getAttribute(name + "-one");
    return say(one || form.getAttribute(name), values);
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
  function chosen() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) { filters[select.getAttribute("data-filter")] = select.value; }
    });
    return filters;
  }
  function pageText(data) {
    // the words plansite adds for the index follow a ⁂ (plansite/search.py): never quote them
    return data.content.split("\u2042")[0];
  }
  function holds(data, terms) {
    var text = fold(data.meta.title + " " + data.content);
    return terms.every(function (term) { return !HAN.test(term) || text.indexOf(fold(term)) !== -1; });
  }

  // Where Pagefind's words start and end in data.content: its word positions (anchors', and
  // the matches of English words) count the words of the text as it split them, at zero-width
  // spaces on Chinese pages and at white space on others.
  function wordSpans(data) {
    var spans = [];
    if (data.raw_content.indexOf("\u200b") !== -1) {
      var at = 0;
      data.raw_content.split("\u200b").forEach(function (word) {
        var length = word.replace(/&lt;/g, "<").replace(/&gt;/g, ">").length;
        spans.push([at, at + length]);
        at += length;
      });
    } else {
      var pattern = /[^\r\n\s]+/g;
      var found;
      while ((found = pattern.exec(data.content)) !== null) { spans.push([found.index, found.index + found[0].length]); }
    }
    return spans;
  }
  function wordAt(spans, offset) {
    var low = 0;
    var high = spans.length - 1;
    while (low < high) {
      var middle = (low + high + 1) >> 1;
      if (spans[middle][0] <= offset) { low = middle; } else { high = middle - 1; }
    }
    return low;
  }

  // The matches in the page's own text, as [start, end) offsets, in order.
  function matches(data, terms, spans, text) {
    var folded = fold(text);
    var found = [];
    terms.forEach(function (term) {
      if (!HAN.test(term)) { return; }
      var wanted = fold(term);
      for (var at = folded.indexOf(wanted); at !== -1; at = folded.indexOf(wanted, at + wanted.length)) {
        found.push([at, at + wanted.length]);
      }
    });
    if (terms.some(function (term) { return !HAN.test(term); })) {
      (data.locations || []).forEach(function (location) {
        var span = spans[location];
        if (!span || span[1] > text.length) { return; }
        // the word without the punctuation around it
        var word = data.content.slice(span[0], span[1]);
        var inner = word.match(/[\p{L}\p{N}](?:.*[\p{L}\p{N}])?/u);
        if (inner) { found.push([span[0] + inner.index, span[0] + inner.index + inner[0].length]); }
      });
    }
    found.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    found = found.filter(function (match, i) { return i === 0 || match[0] >= found[i - 1][1]; });
    // the page's text starts with its title, shown already: quote the title only if nothing else
    var titled = text.indexOf(data.meta.title) === 0 ? data.meta.title.length : 0;
    var elsewhere = found.filter(function (match) { return match[0] >= titled; });
    return elsewhere.length ? elsewhere : found;
  }

  // The places of a page the matches are in: the anchor before each match (a heading, or an
  // action's row, named by the heading above it), with its matches; matches before the first
  // heading (the title and the plan's particulars) belong to the page itself.
  function places(data, found, spans) {
    var anchors = (data.anchors || []).filter(function (anchor) {
      return HEADING.test(anchor.element) ? /\S/.test(anchor.text || "") : anchor.element.toLowerCase() === "tr";
    }).sort(function (a, b) { return a.location - b.location; });
    var result = [];
    found.forEach(function (match) {
      var word = wordAt(spans, match[0]);
      var index = -1;
      for (var i = 0; i < anchors.length && anchors[i].location <= word; i += 1) { index = i; }
      var last = result[result.length - 1];
      if (last && last.index === index) { last.matches.push(match); return; }
      var heading = null;
      for (var j = index; j >= 0; j -= 1) {
        if (HEADING.test(anchors[j].element)) { heading = anchors[j].text.trim(); break; }
      }
      var next = anchors[index + 1];
      result.push({
        index: index,
        id: index === -1 ? null : anchors[index].id,
        label: heading,
        start: index === -1 ? 0 : (spans[anchors[index].location] || [0])[0],
        end: next && spans[next.location] ? spans[next.location][0] : Infinity,
        matches: [match]
      });
    });
    return result;
  }

  // A sentence ends at 。！？； and at . ! ? ; before a capital or the end, not inside
  // "document no. 台財…"; Pagefind ends each heading with ". ", Chinese ones too.
  function endsSentence(text, i) {
    var c = text.charAt(i);
    if ("。！？；".indexOf(c) !== -1) { return true; }
    if (".!?;".indexOf(c) === -1) { return false; }
    var after = text.slice(i + 1, i + 3);
    return /^\s*$/.test(after) || /^\s[A-Z“"(]/.test(after) || HAN.test(text.charAt(i - 1));
  }

  // An excerpt of about a sentence around a place's first match, cut at a sentence's end or
  // at white space where it can be, and never across the place's bounds.
  function around(text, place) {
    var match = place.matches[0];
    var reach = HAN.test(text.slice(match[0], match[1])) ? 30 : 60;  // characters or letters before
    var low = Math.max(place.start, match[0] - reach);
    var high = Math.min(place.end, text.length, match[1] + reach + 40);
    var start = match[0];
    while (start > low && !endsSentence(text, start - 1)) { start -= 1; }
    if (start === low && low > place.start) {  // no sentence starts near: start at a word
      var space = text.indexOf(" ", low);
      start = space !== -1 && space < match[0] ? space + 1 : low;
    }
    while (start < match[0] && /\s/.test(text.charAt(start))) { start += 1; }
    var end = match[1];
    while (end < high && !endsSentence(text, end)) { end += 1; }
    if (end < high) { end += 1; } else if (high < Math.min(place.end, text.length)) {
      var gap = text.lastIndexOf(" ", high);
      end = gap > match[1] ? gap : high;
    }
    return [start, end];
  }

  // Text with the passages in the other language of `lang` wrapped in a lang span.
  function appendText(parent, text, lang) {
    var pattern = lang === "en" ? CHINESE_RUN : ENGLISH_RUN;
    var other = lang === "en" ? "zh-Hant-TW" : "en";
    var at = 0;
    pattern.lastIndex = 0;
    var found;
    while ((found = pattern.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(at, found.index)));
      var span = document.createElement("span");
      span.lang = other;
      span.textContent = found[0];
      parent.appendChild(span);
      at = found.index + found[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function excerpt(text, place, lang) {
    var item = document.createElement("p");
    item.className = "ps-results__excerpt";
    var bounds = around(text, place);
    var at = bounds[0];
    if (bounds[0] > place.start && !endsSentence(text, bounds[0] - 1)) { item.appendChild(document.createTextNode("…")); }
    place.matches.forEach(function (match) {
      if (match[0] < at || match[1] > bounds[1]) { return; }
      appendText(item, text.slice(at, match[0]), lang);
      var mark = document.createElement("mark");
      appendText(mark, text.slice(match[0], match[1]), lang);
      item.appendChild(mark);
      at = match[1];
    });
    appendText(item, text.slice(at, bounds[1]), lang);
    if (bounds[1] < text.length && !endsSentence(text, bounds[1] - 1)) {
      item.appendChild(document.createTextNode("…"));
    }
    return item;
  }

  function link(href, text, lang, className) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.title = text;
    if (className) { anchor.className = className; }
    appendText(anchor, text, lang);
    return anchor;
  }

  function show(data, terms) {
    var text = pageText(data);
    var spans = wordSpans(data);
    var lang = ((data.filters || {}).language || [pageLang])[0];
    var found = places(data, matches(data, terms, spans, text), spans);
    var address = function (place) { return place && place.id ? data.url + "#" + place.id : data.url; };
    var item = document.createElement("li");
    item.className = "ps-results__item";
    if (lang !== pageLang) { item.lang = lang; }  // an English page of an untranslated plan
    var heading = document.createElement("p");
    heading.className = "ps-results__title";
    heading.appendChild(link(address(found[0]), data.meta.title, lang));
    item.appendChild(heading);
    if (!found.length) {  // found through a glossary term's other forms only: quote the start
      var opening = document.createElement("p");
      opening.className = "ps-results__excerpt";
      appendText(opening, text.slice(0, 90) + (text.length > 90 ? "…" : ""), lang);
      item.appendChild(opening);
      list.appendChild(item);
      return;
    }
    var placesList = document.createElement("ul");
    placesList.className = "ps-results__places";
    found.slice(0, PLACES).forEach(function (place) {
      var entry = document.createElement("li");
      if (place.id && place.label) {
        var where = document.createElement("p");
        where.className = "ps-results__place";
        where.appendChild(link(address(place), place.label, lang));
        entry.appendChild(where);
      }
      entry.appendChild(excerpt(text, place, lang));
      placesList.appendChild(entry);
    });
    item.appendChild(placesList);
    if (found.length > PLACES) {
      var rest = document.createElement("p");
      rest.className = "ps-results__more";
      if (lang !== pageLang) { rest.lang = pageLang; }
      rest.textContent = message("data-more-places", { count: found.length - PLACES });
      item.appendChild(rest);
    }
    list.appendChild(item);
  }

  // Check candidates in batches until a batch of results is shown or none are left; each
  // result is shown as soon as its page's fragment (and those before it) arrived.
  async function next(search) {
    var shown = 0;
    while (search.position < search.candidates.length && shown < BATCH) {
      var batch = search.candidates.slice(search.position, search.position + BATCH);
      search.position += batch.length;
      var fragments = batch.map(function (result) { return result.data(); });
      for (var i = 0; i < fragments.length; i += 1) {
        var data = await fragments[i];
        if (search !== current) { return; }
        if (holds(data, search.terms)) { show(data, search.terms); shown += 1; search.found += 1; }
      }
    }
    var done = search.position >= search.candidates.length;
    more.hidden = done;
    var values = { count: search.found, query: search.query };
    status.textContent = message(search.found === 0 && done ? "data-none" : done ? "data-found" : "data-partial",
                                 values);
    region.setAttribute("data-done", String(done));
  }

  // Pagefind and every shard of the index (plansite/search.py), loaded once, from the moment
  // the reader starts typing: the first is the main bundle relative to this page, so the site
  // works in any folder of its server.
  function ensure() {
    if (!loading) {
      loading = (async function () {
        var bundle = new URL(form.getAttribute("data-bundle"), document.baseURI).href;
        var base = new URL(form.getAttribute("data-base"), document.baseURI).pathname;
        // the script and the list of shards at once: a round trip less on a slow network
        var both = await Promise.all([import(bundle + "pagefind.js"),
          fetch(bundle + "shards.json").then(function (response) { return response.json(); })]);
        var loaded = both[0];
        var shards = both[1];
        await loaded.options({ baseUrl: base });
        await Promise.all(shards.map(function (shard) { return loaded.mergeIndex(bundle + shard, { baseUrl: base }); }));
        pagefind = loaded;
        return loaded;
      })();
      loading.catch(function () { loading = null; });
    }
    return loading;
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
      await ensure();
      var found = await pagefind.search(pagefindQuery(terms), { filters: chosen() });
      if (search !== current) { return; }
      search.candidates = found.results;
      await next(search);
    } catch (error) {
      status.textContent = form.getAttribute("data-failed");
      region.setAttribute("data-done", "true");
    }
  }

  // The query and the choices go in the address, as the form without JavaScript sends them.
  function submit() {
    var query = input.value;
    if (!words(query).length) { input.focus(); return; }
    var address = new URL(window.location.href);
    address.searchParams.set("q", query.trim());
    selects.forEach(function (select) {
      if (select.value) { address.searchParams.set(select.name, select.value); } else { address.searchParams.delete(select.name); }
    });
    window.history.replaceState(null, "", address);
    run(query);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  // a new choice narrows the results shown at once (the status line announces the new count)
  selects.forEach(function (select) {
    select.addEventListener("change", function () { if (current && words(input.value).length) { submit(); } });
  });
  input.addEventListener("input", function () { ensure().catch(function () {}); }, { once: true });
  more.addEventListener("click", function () { if (current) { next(current); } });

  var asked = new URLSearchParams(window.location.search);
  selects.forEach(function (select) {
    var value = asked.get(select.name);
    if (value && Array.prototype.some.call(select.options, function (o) { return o.value === value; })) {
      select.value = value;
    }
  });
  var query = asked.get("q");
  if (query && words(query).length) {
    input.value = query;
    run(query);
  }
})();
