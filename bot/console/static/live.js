// Live queue and ticket pages: poll /staff/live every few seconds; when its version differs from the
// page's, fetch the page again and swap in the parts marked data-live-region (forms being typed in
// are outside them). The title shows how many new reports and unread villager messages wait.
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

  function refresh(newVersion) {
    return fetch(window.location.href, {credentials: 'same-origin'}).then(function (r) {
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
    fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {
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
