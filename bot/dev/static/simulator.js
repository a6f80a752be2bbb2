// The chat simulator's page script (a static file: the CSP allows no inline script).
(function () {
  const log = document.getElementById('log');
  function newOpenid() {
    const c = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = 'oSIM'; for (let i = 0; i < 24; i++) s += c[Math.floor(Math.random() * c.length)];
    localStorage.setItem('pufabot-openid', s); localStorage.setItem('pufabot-after', '0'); return s;
  }
  let openid = localStorage.getItem('pufabot-openid') || newOpenid();
  // The chat is kept in this browser (per pretend villager), so a reload shows it again.
  function saved() { try { return JSON.parse(localStorage.getItem('pufabot-log-' + openid) || '[]'); } catch (e) { return []; } }
  function keep(item) { const items = saved(); items.push(item); localStorage.setItem('pufabot-log-' + openid, JSON.stringify(items.slice(-200))); }
  function draw(cls, text) {
    const row = document.createElement('div'); row.className = 'row ' + cls;
    const b = document.createElement('div'); b.className = 'bubble'; b.textContent = text;
    row.appendChild(b); log.appendChild(row); log.scrollTop = log.scrollHeight;
  }
  function drawNote(text) { const n = document.createElement('div'); n.className = 'note'; n.textContent = text; log.appendChild(n); }
  function add(cls, text) { keep({cls: cls, text: text}); draw(cls, text); }
  function note(text) { keep({note: text}); drawNote(text); }
  function showReply(r) {
    if (r.kind === 'news') {
      const row = document.createElement('div'); row.className = 'row bot';
      const n = document.createElement('div'); n.className = 'news';
      const t = document.createElement('b'); t.textContent = r.title;
      const d = document.createElement('div'); d.textContent = r.description;
      const a = document.createElement('a'); a.href = /^https?:\/\//i.test(r.url || '') ? r.url : '#'; a.textContent = '阅读全文'; a.target = '_blank';
      n.append(t, d, a); row.appendChild(n); log.appendChild(row);
      keep({cls: 'bot', text: r.title + '\n' + r.description + '\n' + r.url});
    } else if (r.kind === 'none') { note('（公众号没有回复）');
    } else { add('bot', r.content); }
    log.scrollTop = log.scrollHeight;
  }
  async function send(payload, echo) {
    if (echo) add('me', echo);
    payload.openid = openid;
    const safe = document.getElementById('safe'); payload.safe = !!(safe && safe.checked);
    try {
      const res = await fetch('chat/send', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)});
      showReply(await res.json());
    } catch (e) { note('发送失败：' + e); }
  }
  document.getElementById('f').addEventListener('submit', (e) => {
    e.preventDefault(); const t = document.getElementById('text'); const v = t.value; t.value = '';
    send({kind: 'text', content: v}, v || '（空消息）');
  });
  document.querySelectorAll('nav [data-key]').forEach((b) => b.addEventListener('click', () => {
    document.querySelectorAll('nav .sub').forEach((s) => s.classList.remove('open'));
    send({kind: 'click', key: b.dataset.key}, '〔菜单〕' + b.textContent);
  }));
  document.querySelectorAll('nav .parent').forEach((b) => b.addEventListener('click', () => b.nextElementSibling.classList.toggle('open')));
  document.getElementById('voice').addEventListener('click', () => {
    const heard = prompt('模拟语音：输入微信识别出的文字（留空 = 识别失败）', '');
    if (heard !== null) send({kind: 'voice', content: heard}, '[语音]' + (heard ? '（' + heard + '）' : '（未识别）'));
  });
  document.getElementById('image').addEventListener('click', () => send({kind: 'image'}, '[图片]'));
  document.getElementById('location').addEventListener('click', () => send({kind: 'location', content: '村委会附近'}, '[位置] 村委会附近'));
  document.getElementById('subscribe').addEventListener('click', () => send({kind: 'subscribe'}, '〔关注公众号〕'));
  document.getElementById('newuser').addEventListener('click', () => { localStorage.removeItem('pufabot-log-' + openid); openid = newOpenid(); log.innerHTML = ''; note('已换成一位新村民'); });
  async function poll() {
    try {
      const after = localStorage.getItem('pufabot-after') || '0';
      const res = await fetch('chat/inbox?openid=' + encodeURIComponent(openid) + '&after=' + after);
      const items = await res.json();
      for (const m of items) {
        add('staff', m.text || m.content || JSON.stringify(m));  // the bot's own wording names the sender
        localStorage.setItem('pufabot-after', String(m.seq));
      }
    } catch (e) { /* stand-in not running */ }
    setTimeout(poll, 3000);
  }
  const before = saved();
  if (before.length) {
    for (const item of before) { if (item.note) drawNote(item.note); else draw(item.cls, item.text); }
  } else { note('这是本地模拟器，不会发往真实微信。'); }
  poll();
})();
