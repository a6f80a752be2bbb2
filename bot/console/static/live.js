// Live queue and ticket pages: poll /staff/live every few seconds; when its version differs from the
// page's, a ticket page first asks for its thread's new entries only (data-thread-url) and appends
// them; only when the ticket itself changed (its stamp), or on the queue, is the page fetched again and
// the parts marked data-live-region swapped in (forms being typed in are outside them). These requests
// say X-Pufabot-Live: they never keep a session alive, only a person's clicks do. The title shows how
// many new reports and unread villager messages wait.
(function () {
  var root = document.querySelector('[data-live]');
  if (!root) return;
  var version = root.getAttribute('data-live');
  var url = root.getAttribute('data-live-url');
  var baseTitle = document.title;
  var busy = false;

  function setTitle(data) {
    var waiting = data['new'] + data.unread;
    document.title = (waiting > 0 ? '(' + waiting + ') ' : '') + baseTitle;
  }

  var LIVE = {'X-Pufabot-Live': '1'};

  function refresh(newVersion) {
    var thread = document.querySelector('[data-thread-url]');
    if (!thread) return refreshPage(newVersion);
    var url = thread.getAttribute('data-thread-url') + '?after=' + thread.getAttribute('data-thread-count');
    return fetch(url, {credentials: 'same-origin', cache: 'no-store', headers: LIVE}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      if (data.stamp !== thread.getAttribute('data-stamp')) return refreshPage(newVersion);
      if (data.html.trim()) {
        var empty = thread.querySelector('.thread-empty');
        if (empty) empty.remove();
        thread.insertAdjacentHTML('beforeend', data.html);
      }
      thread.setAttribute('data-thread-count', data.count);
      version = newVersion;
    });
  }

  function refreshPage(newVersion) {
    return fetch(window.location.href, {credentials: 'same-origin', headers: LIVE}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      document.querySelectorAll('[data-live-region]').forEach(function (el) {
        var fresh = doc.getElementById(el.id);
        if (fresh) el.innerHTML = fresh.innerHTML;
      });
      var freshRoot = doc.querySelector('[data-live]');
      version = freshRoot ? freshRoot.getAttribute('data-live') : newVersion;
    });
  }

  function poll() {
    if (busy) return;
    busy = true;
    fetch(url, {credentials: 'same-origin', cache: 'no-store', headers: LIVE}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      setTitle(data);
      if (data.version !== version) return refresh(data.version);
    }).catch(function () { /* offline or signed out: try again at the next tick */ })
      .then(function () { busy = false; });
  }

  poll();
  setInterval(poll, 3000);
})();
