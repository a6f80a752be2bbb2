// Live queue and ticket pages: poll /staff/live every few seconds; when its version differs from the
// page's, a ticket page first asks for its thread's new entries only (data-thread-url) and appends
// them; only when the ticket itself changed (its stamp), or on the queue, is the page fetched again and
// the parts marked data-live-region swapped in (forms being typed in are outside them). These requests
// say X-Pufabot-Live: they never keep a session alive, only a person's clicks do. The title shows how
// many new reports and unread villager messages wait.
(function () {
  // Every signed-in page: a new urgent item rings once in each browser (a sound, a desktop
  // notification when allowed, a banner); the queue and ticket pages also update themselves.
  var alerts = document.querySelector('[data-live-alerts]');
  var root = document.querySelector('[data-live]');
  if (!root && !alerts) return;
  var version = root ? root.getAttribute('data-live') : null;
  var url = (root || alerts).getAttribute('data-live-url');
  var SEEN = 'pufabot-urgent-seen';
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

  function ring() {
    try {  // three short beeps; browsers allow sound once the page has had a click
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35, 0.7].forEach(function (at) {
        var tone = audio.createOscillator();
        tone.frequency.value = 880;
        tone.connect(audio.destination);
        tone.start(audio.currentTime + at);
        tone.stop(audio.currentTime + at + 0.2);
      });
    } catch (e) { /* no sound: the banner and the title still show it */ }
  }

  function announce(urgent) {
    if (!urgent || !alerts) return;
    var banner = document.getElementById('urgent-banner');
    var link = document.getElementById('urgent-link');
    link.textContent = urgent.id;
    link.setAttribute('href', urgent.url);
    document.getElementById('urgent-kind').textContent = urgent.kind || '';
    banner.hidden = false;
    var seen = null;
    try { seen = localStorage.getItem(SEEN); } catch (e) { /* private mode */ }
    if (seen === urgent.id) return;  // this browser has rung for it already (another tab, a reload)
    try { localStorage.setItem(SEEN, urgent.id); } catch (e) { /* private mode */ }
    ring();
    if (window.Notification && Notification.permission === 'granted') {
      var note = new Notification('紧急求助 ' + urgent.id, {body: urgent.kind || '请立即查看', tag: urgent.id});
      note.onclick = function () { window.focus(); window.location.href = urgent.url; };
    }
  }

  var enable = document.getElementById('enable-alerts');
  if (enable && window.Notification && Notification.permission === 'default') {
    enable.hidden = false;  // asked once: the button goes when the person has answered
    enable.addEventListener('click', function () {
      ring();  // a click also unlocks the page's sound
      Notification.requestPermission().then(function () { enable.hidden = true; });
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
      announce(data.urgent);
      if (root && data.version !== version) return refresh(data.version);
    }).catch(function () { /* offline or signed out: try again at the next tick */ })
      .then(function () { busy = false; });
  }

  poll();
  setInterval(poll, 3000);
})();
